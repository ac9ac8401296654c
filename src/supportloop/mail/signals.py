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


def _text_size(value) -> int | None:
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogateescape"))
    return None


def received_size(event, raw: bytes) -> int:
    """The size of the message as the provider delivered it, for the inbound limit: the raw MIME field of its
    payload where it sends one (SendGrid `email`, Mailgun `body-mime`, Postmark `RawEmail`, Mandrill `raw_msg`,
    Amazon SES `content`, SparkPost `email_rfc822`), else the request body's length; never the re-serialised
    bytes, whose LF line ends make a CRLF message over the limit look smaller. Failing all that, `raw` counted
    with CRLF line ends (the wire form)."""
    esp = getattr(event, "esp_event", None)
    size = None
    post = getattr(esp, "POST", None)
    if post is not None:
        for key in ("email", "body-mime"):
            if key in post:
                size = _text_size(post.get(key))
                break
        if size is None:
            try:
                size = int(getattr(esp, "META", {}).get("CONTENT_LENGTH") or 0) or None
            except (TypeError, ValueError):
                size = None
    elif isinstance(esp, dict):
        if "RawEmail" in esp:
            size = _text_size(esp.get("RawEmail"))
        elif isinstance(esp.get("msg"), dict) and "raw_msg" in esp["msg"]:
            size = _text_size(esp["msg"]["raw_msg"])
        elif isinstance(esp.get("content"), str):
            content = esp["content"]
            encoding = str(((esp.get("receipt") or {}).get("action") or {}).get("encoding") or "").upper()
            size = len(content) * 3 // 4 if encoding == "BASE64" else _text_size(content)
        elif isinstance(esp.get("content"), dict) and "email_rfc822" in esp["content"]:
            content = esp["content"]
            value = content.get("email_rfc822")
            size = len(value) * 3 // 4 if content.get("email_rfc822_is_base64") else _text_size(value)
    if size is None:
        size = len(raw) + raw.count(b"\n") - raw.count(b"\r\n")
    return size


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
    result = inbound_ingest(
        raw=raw,
        source=InboundSource.WEBHOOK,
        provider_verdict=provider_verdict(event),
        received_size=received_size(event, raw),
    )
    logger.info("%s inbound %s: %s", esp_name, result.message_key, result.outcome)
