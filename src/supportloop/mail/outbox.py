"""The Outbox: an email backend for development and demo mode that keeps every sent message in a table
(mail.OutboxMessage) instead of handing it to a mail server. Admins read it at /outbox/ (web).

Settings turn it on with SUPPORTLOOP_DEBUG (settings.SUPPORTLOOP_OUTBOX); `supportloop demo` always uses it, so
a demo never mails the made-up customers it seeds. Storing a message is transport, like an SMTP server
accepting it: the work that sends (closing the loop, the digest, replies) writes its own audit events.
"""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend

OUTBOX_BACKEND = "supportloop.mail.outbox.OutboxBackend"


class OutboxBackend(BaseEmailBackend):
    """Stores each message as an OutboxMessage row; returns how many were stored, as Django's backends do."""

    def send_messages(self, email_messages) -> int:
        from supportloop.mail.models import OutboxMessage

        rows = []
        for message in email_messages or []:
            recipients = message.recipients()
            if not recipients:
                continue
            headers = {str(k): str(v) for k, v in (message.extra_headers or {}).items()}
            message_id = headers.pop("Message-ID", "") or str(message.message().get("Message-ID", ""))
            rows.append(
                OutboxMessage(
                    from_email=str(message.from_email or ""),
                    to=", ".join(recipients),
                    subject=str(message.subject or "")[:998],
                    body=str(message.body or ""),
                    message_id=message_id.strip().strip("<>")[:255],
                    headers=headers,
                )
            )
        OutboxMessage.objects.bulk_create(rows)
        return len(rows)
