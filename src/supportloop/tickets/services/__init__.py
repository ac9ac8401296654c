"""Every write to tickets, messages, taxonomy and macros. See tickets.py, bulk.py, taxonomy.py and macros.py."""

from supportloop.tickets.services.bulk import BulkUndoResult, bulk_change_undo, tickets_bulk_change
from supportloop.tickets.services.collab import (
    ReplyCollision,
    draft_discard,
    draft_save,
    reply_collision_check,
    reply_withdraw,
    undo_send_seconds,
)
from supportloop.tickets.services.compose import ticket_compose
from supportloop.tickets.services.macros import macro_apply, macro_create, macro_render, macro_update
from supportloop.tickets.services.taxonomy import (
    contact_reason_create,
    contact_reason_update,
    product_area_create,
    product_area_update,
    product_feature_create,
    product_feature_update,
)
from supportloop.tickets.services.tickets import (
    CustomerMessageDraft,
    TicketDraft,
    attachment_add,
    customer_message_draft,
    customer_messages_add_in_transaction,
    message_add_from_contact,
    ticket_add_note,
    ticket_add_system_note,
    ticket_create,
    ticket_draft,
    ticket_reply,
    ticket_update,
    tickets_insert_in_transaction,
)

# The names this package re-exports (mypy's no-implicit-reexport, ruff's F401 read it).
__all__ = [
    "BulkUndoResult",
    "CustomerMessageDraft",
    "ReplyCollision",
    "TicketDraft",
    "attachment_add",
    "bulk_change_undo",
    "contact_reason_create",
    "contact_reason_update",
    "customer_message_draft",
    "customer_messages_add_in_transaction",
    "draft_discard",
    "draft_save",
    "macro_apply",
    "macro_create",
    "macro_render",
    "macro_update",
    "message_add_from_contact",
    "product_area_create",
    "product_area_update",
    "product_feature_create",
    "product_feature_update",
    "reply_collision_check",
    "reply_withdraw",
    "ticket_add_note",
    "ticket_add_system_note",
    "ticket_compose",
    "ticket_create",
    "ticket_draft",
    "ticket_reply",
    "ticket_update",
    "tickets_bulk_change",
    "tickets_insert_in_transaction",
    "undo_send_seconds",
]
