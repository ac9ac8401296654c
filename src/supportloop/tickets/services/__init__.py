"""Every write to tickets, messages, taxonomy and macros. See tickets.py, taxonomy.py and macros.py."""

from supportloop.tickets.services.macros import macro_apply, macro_create, macro_render, macro_update  # noqa: F401
from supportloop.tickets.services.taxonomy import (  # noqa: F401
    contact_reason_create,
    contact_reason_update,
    product_area_create,
    product_area_update,
    product_feature_create,
    product_feature_update,
)
from supportloop.tickets.services.tickets import (  # noqa: F401
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
