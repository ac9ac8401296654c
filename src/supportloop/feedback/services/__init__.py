"""Every write to feedback: items and statuses (items.py), evidence and bug reports (evidence.py),
closing the loop and the digest mail (loop.py). Import from here."""

from supportloop.feedback.services.evidence import (  # noqa: F401
    bug_report_file,
    bug_report_update,
    evidence_add,
    evidence_remove,
    picklist_values,
)
from supportloop.feedback.services.items import (  # noqa: F401
    engineering_link_add,
    engineering_link_remove,
    feedback_item_create,
    feedback_item_delete,
    feedback_item_merge,
    feedback_item_set_status,
    feedback_item_status_check,
    feedback_item_update,
    feedback_settings_update,
)
from supportloop.feedback.services.loop import (  # noqa: F401
    close_the_loop_preview,
    close_the_loop_send,
    closing_notices_due_exist,
    closing_notices_next_attempt,
    closing_notices_queue,
    closing_notices_retry,
    closing_notices_send_due,
    notice_mail_refusal,
    notice_render,
    weekly_digest_send,
)
