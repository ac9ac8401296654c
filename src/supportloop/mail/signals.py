"""Receiver for django-anymail's inbound signal: provider webhooks become ingested mail.

Anymail's per-provider views authenticate the request (WEBHOOK_SECRET basic auth, plus the provider's
signature where it has one) and normalise the payload into an AnymailInboundMessage (an EmailMessage);
we serialise it back to bytes and ingest it like IMAP mail, so one code path parses everything.
"""
from __future__ import annotations

import logging

from anymail.signals import inbound
from django.dispatch import receiver

from supportloop.mail.choices import InboundSource

logger = logging.getLogger("supportloop.mail")


def _message_bytes(message) -> bytes:
    try:
        return message.as_bytes()
    except Exception:  # noqa: BLE001 - broken headers can defeat the default policy's generator
        from email import policy

        return message.as_bytes(policy=policy.compat32)


@receiver(inbound, dispatch_uid="supportloop.mail.inbound")
def handle_inbound(sender, event, esp_name, **kwargs) -> None:
    from supportloop.mail.services import inbound_ingest

    raw = _message_bytes(event.message)
    result = inbound_ingest(raw=raw, source=InboundSource.WEBHOOK)
    logger.info("%s inbound %s: %s", esp_name, result.message_key, result.outcome)
