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


def provider_verdict(event) -> tuple[str, str] | None:
    """The provider's own SPF/DKIM/DMARC verdict where its payload has one (Amazon SES's receipt; SendGrid's
    SPF and dkim fields), as (verdict, summary); None leaves it to the Authentication-Results header."""
    esp_event = getattr(event, "esp_event", None)
    if isinstance(esp_event, dict) and isinstance(esp_event.get("receipt"), dict):
        receipt = esp_event["receipt"]
        found = {
            name: str((receipt.get(f"{name}Verdict") or {}).get("status", "")).upper()
            for name in ("spf", "dkim", "dmarc")
        }
        if not any(found.values()):
            return None
        summary = "amazon ses: " + " ".join(f"{k}={v.lower()}" for k, v in found.items() if v)
        if found["dmarc"] == "FAIL" or (found["spf"] == "FAIL" and found["dkim"] != "PASS"):
            return "fail", summary
        if found["dmarc"] == "PASS":
            return "pass", summary
        return "none", summary
    post = getattr(esp_event, "POST", None)
    if post is not None and ("SPF" in post or "dkim" in post):
        spf, dkim = str(post.get("SPF", "")).lower(), str(post.get("dkim", "")).lower()
        summary = f"sendgrid: spf={spf or '-'} dkim={dkim[:80] or '-'}"
        if spf in ("fail", "softfail") and "pass" not in dkim:
            return "fail", summary
        return "none", summary
    return None


@receiver(inbound, dispatch_uid="supportloop.mail.inbound")
def handle_inbound(sender, event, esp_name, **kwargs) -> None:
    from supportloop.mail.services import inbound_ingest

    raw = _message_bytes(event.message)
    result = inbound_ingest(raw=raw, source=InboundSource.WEBHOOK, provider_verdict=provider_verdict(event))
    logger.info("%s inbound %s: %s", esp_name, result.message_key, result.outcome)
