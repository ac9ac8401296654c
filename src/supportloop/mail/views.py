"""HTTP inbound: the raw-MIME endpoint (per-mailbox bearer token). Provider webhooks are anymail's views."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from supportloop.mail.choices import InboundSource
from supportloop.mail.models import Mailbox
from supportloop.mail.services import inbound_ingest, token_hash
from supportloop.mail.services.oversize import http_ceiling


def _problem(status: int, title: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


@csrf_exempt
@require_POST
def raw_inbound(request: HttpRequest, mailbox_id: int) -> JsonResponse:
    """POST a message as raw RFC 5322 bytes (Content-Type: message/rfc822) with `Authorization: Bearer <token>`."""
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
    expected = mailbox.inbound_token_hash if mailbox else ""
    if not token or not expected or not hmac.compare_digest(token_hash(token), expected):
        return _problem(401, "Unauthorized", "A valid mailbox token is required.")
    # Above the inbound limit a message is quarantined (kept whole); above this ceiling it is refused unread.
    limit = http_ceiling()
    # Read the stream directly: request.body would apply the 1 MB API limit to whole messages.
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return _problem(413, "Payload too large", f"Messages are at most {limit} bytes.")
    if not raw.strip():
        return _problem(400, "Bad request", "The body must be a raw RFC 5322 message.")
    result = inbound_ingest(raw=raw, mailbox=mailbox, source=InboundSource.RAW)
    return JsonResponse(
        {"outcome": result.outcome, "message_key": result.message_key, "reason": result.reason},
        status=200 if result.outcome == "duplicate" else 201,
    )
