"""Role matrix rows of the webhooks API (merged by automation/tests/role_matrix_cases.py). URLs are public IP
literals, so saving them needs no DNS; nothing is sent (the role-matrix test never commits)."""

from __future__ import annotations

from collections.abc import Callable

from supportloop.api.tests.role_matrix_cases import Case, World

URL = "https://93.184.216.34/hook"


def _endpoint(w: World) -> str:
    from supportloop.automation.services.webhooks import webhook_endpoint_create, webhook_ping

    if "endpoint" not in w.extra:
        w.extra["endpoint"] = webhook_endpoint_create(url=URL, event_types=["ticket.created"], actor=w.admin)
        w.extra["delivery"] = webhook_ping(endpoint=w.extra["endpoint"], actor=w.admin)
    return f"webhooks/endpoints/{w.extra['endpoint'].pk}"


def _delivery(w: World) -> str:
    _endpoint(w)
    return f"webhooks/deliveries/{w.extra['delivery'].pk}"


def _chat(w: World) -> str:
    from supportloop.automation.services.webhooks import chat_integration_create

    if "chat" not in w.extra:
        w.extra["chat"] = chat_integration_create(
            name=f"Slack {w.n()}", kind="slack", webhook_url=URL, message_template="{ticket.subject}", actor=w.admin
        )
    return f"webhooks/chat/{w.extra['chat'].pk}"


def _fresh(w: World, key: str, make: Callable[[World], str]) -> str:
    """A new object for each call: a DELETE case is sent once per role."""
    w.extra.pop(key, None)
    return make(w)


CASES = {
    ("GET", "/api/v1/webhooks/endpoints"): Case("webhook.manage", lambda w: "webhooks/endpoints"),
    ("POST", "/api/v1/webhooks/endpoints"): Case(
        "webhook.manage",
        lambda w: "webhooks/endpoints",
        body=lambda w: {"url": URL, "event_types": ["ticket.created", "ticket.sla_breach"]},
        status=201,
    ),
    ("GET", "/api/v1/webhooks/endpoints/{endpoint_id}"): Case("webhook.manage", _endpoint),
    ("PATCH", "/api/v1/webhooks/endpoints/{endpoint_id}"): Case(
        "webhook.manage", _endpoint, body=lambda w: {"description": f"d{w.n()}"}
    ),
    ("DELETE", "/api/v1/webhooks/endpoints/{endpoint_id}"): Case(
        "webhook.manage", lambda w: _fresh(w, "endpoint", _endpoint), status=204
    ),
    ("POST", "/api/v1/webhooks/endpoints/{endpoint_id}/ping"): Case(
        "webhook.manage", lambda w: _endpoint(w) + "/ping", status=202
    ),
    ("GET", "/api/v1/webhooks/deliveries"): Case("webhook.manage", lambda w: "webhooks/deliveries"),
    ("GET", "/api/v1/webhooks/deliveries/{delivery_id}"): Case("webhook.manage", _delivery),
    ("POST", "/api/v1/webhooks/deliveries/{delivery_id}/resend"): Case(
        "webhook.manage", lambda w: _delivery(w) + "/resend", status=202
    ),
    ("GET", "/api/v1/webhooks/chat"): Case("webhook.manage", lambda w: "webhooks/chat"),
    ("POST", "/api/v1/webhooks/chat"): Case(
        "webhook.manage",
        lambda w: "webhooks/chat",
        body=lambda w: {"name": f"Teams {w.n()}", "kind": "teams", "webhook_url": URL, "message_template": "Hi"},
        status=201,
    ),
    ("GET", "/api/v1/webhooks/chat/{integration_id}"): Case("webhook.manage", _chat),
    ("PATCH", "/api/v1/webhooks/chat/{integration_id}"): Case(
        "webhook.manage", _chat, body=lambda w: {"enabled": False}
    ),
    ("DELETE", "/api/v1/webhooks/chat/{integration_id}"): Case(
        "webhook.manage", lambda w: _fresh(w, "chat", _chat), status=204
    ),
}
