"""Outbound webhooks and chat integrations: their configuration (admins), the deliveries that ticket events and
rules create, and the attempts the task worker makes.

Life of a delivery: a ticket event (after its transaction commits) or a rule's action creates one WebhookDelivery
per target, pending, and queues `automation.webhook_deliver` for attempt 1 once that commits. An attempt claims
the delivery (the attempt counter moves from n-1 to n in one conditional UPDATE, so two workers never make the same
attempt), checks the URL again, POSTs, and records the response code, the start of the body, the error and the
duration. A failure schedules the next attempt after an exponential backoff with jitter (`retry_delay`); the
every-minute retry pass (`webhook_retry_due`) queues attempts whose time has come. After MAX_ATTEMPTS the delivery
is failed. An endpoint whose attempts fail DISABLE_AFTER times in a row is switched off and the admins are told
(an audit event and a mail). Every change of an endpoint, integration or delivery records an audit event.

Signing (docs/automation-webhooks.md): `Supportloop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>" with the endpoint's secret>`, and `Supportloop-Delivery: <delivery uid>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.automation.chat import template_check, ticket_url
from supportloop.automation.choices import ChatKind, DeliveryStatus, WebhookEventType
from supportloop.automation.models import ChatIntegration, WebhookDelivery, WebhookEndpoint
from supportloop.automation.services.ordered import VersionedCache, version_bump
from supportloop.automation.webhook_http import UrlRefused, webhook_post, webhook_url_check
from supportloop.core.errors import ValidationFailed
from supportloop.core.jobs import job_enqueue
from supportloop.core.services import event_record
from supportloop.tickets.hooks import TicketEvent
from supportloop.tickets.models import Ticket

logger = logging.getLogger("supportloop.automation.webhooks")

SIGNATURE_HEADER = "Supportloop-Signature"
DELIVERY_HEADER = "Supportloop-Delivery"
EVENT_HEADER = "Supportloop-Event"
PING = "ping"
RULE_EVENT = "automation.rule"  # what call_webhook sends, whatever the endpoint subscribed to

RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 6 * 3600
# An attempt that started this long ago without recording its outcome (the worker died) is tried again.
ATTEMPT_LEASE = timedelta(minutes=5)
RETRY_BATCH = 500
_jitter = random.Random()  # noqa: S311 (spreads retries in time; nothing secret)
MAX_ENDPOINTS = 100
MAX_DESCRIPTION = 200
ENDPOINTS_VERSION = "automation.webhook_endpoints"


@dataclass(frozen=True)
class Subscriptions:
    """The event types some enabled endpoint listens to: the ticket listener's one-query check."""

    version: int
    event_types: frozenset[str]


def _subscriptions_build(version: int) -> Subscriptions:
    types: set[str] = set()
    for event_types in WebhookEndpoint.objects.filter(enabled=True).values_list("event_types", flat=True):
        types.update(event_types)
    return Subscriptions(version=version, event_types=frozenset(types))


_subscriptions = VersionedCache(ENDPOINTS_VERSION, _subscriptions_build)


# -- signing ----------------------------------------------------------------------------------------------------------
def webhook_secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: t=<timestamp>,v1=<hex HMAC-SHA256 over b"<timestamp>.<body>">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def payload_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder).encode()


# -- validation -------------------------------------------------------------------------------------------------------
def url_clean(url: Any, *, field: str = "url") -> str:
    text = str(url or "").strip()
    if not text:
        raise ValidationFailed("A URL is required.", errors={field: "required"})
    if len(text) > 2000:
        raise ValidationFailed("The URL is too long.", errors={field: "at most 2000 characters"})
    try:
        webhook_url_check(text)
    except UrlRefused as exc:
        raise ValidationFailed(str(exc), errors={field: str(exc)}) from None
    return text


def _event_types_clean(values: Any) -> list[str]:
    if not isinstance(values, list) or not values:
        raise ValidationFailed(
            "Choose at least one event type.", errors={"event_types": "a non-empty list of event types"}
        )
    unknown = sorted({str(v) for v in values} - set(WebhookEventType.values))
    if unknown:
        raise ValidationFailed(
            f"Unknown event types: {', '.join(unknown)}.", errors={"event_types": f"unknown: {', '.join(unknown)}"}
        )
    return sorted(set(values))


def _short(value: Any, *, field: str, max_length: int) -> str:
    text = str(value or "").strip()
    if len(text) > max_length:
        raise ValidationFailed(f"The {field} is too long.", errors={field: f"at most {max_length} characters"})
    return text


# -- endpoints --------------------------------------------------------------------------------------------------------
@transaction.atomic
def webhook_endpoint_create(
    *, url: str, event_types: list[str], actor: User | None, description: str = "", enabled: bool = True
) -> WebhookEndpoint:
    if WebhookEndpoint.objects.count() >= MAX_ENDPOINTS:
        raise ValidationFailed(f"At most {MAX_ENDPOINTS} webhook endpoints.", errors={"url": "too many endpoints"})
    endpoint = WebhookEndpoint.objects.create(
        url=url_clean(url),
        event_types=_event_types_clean(event_types),
        description=_short(description, field="description", max_length=MAX_DESCRIPTION),
        enabled=enabled,
        secret=webhook_secret_new(),
        created_by=actor,
    )
    version_bump(ENDPOINTS_VERSION)
    event_record(
        actor=actor,
        verb="webhook.endpoint_created",
        target=endpoint,
        changes={"url": endpoint.url, "event_types": endpoint.event_types, "enabled": enabled},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, actor: User | None, **values: Any) -> WebhookEndpoint:
    """Change url, event_types, description or enabled. Enabling an endpoint clears its failure count; the
    secret changes only with `rotate_secret=True` (the change is recorded, the secret itself is not)."""
    allowed = {"url", "event_types", "description", "enabled", "rotate_secret"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationFailed("Unknown fields.", errors=dict.fromkeys(sorted(unknown), "unknown field"))
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    changes: dict[str, list[Any]] = {}
    if "url" in values:
        url = url_clean(values["url"])
        if url != endpoint.url:
            changes["url"] = [endpoint.url, url]
            endpoint.url = url
    if "event_types" in values:
        types = _event_types_clean(values["event_types"])
        if types != endpoint.event_types:
            changes["event_types"] = [endpoint.event_types, types]
            endpoint.event_types = types
    if "description" in values:
        description = _short(values["description"], field="description", max_length=MAX_DESCRIPTION)
        if description != endpoint.description:
            changes["description"] = [endpoint.description, description]
            endpoint.description = description
    if "enabled" in values and bool(values["enabled"]) != endpoint.enabled:
        changes["enabled"] = [endpoint.enabled, bool(values["enabled"])]
        endpoint.enabled = bool(values["enabled"])
        if endpoint.enabled:
            endpoint.consecutive_failures = 0
            endpoint.disabled_at = None
    if values.get("rotate_secret"):
        endpoint.secret = webhook_secret_new()
        changes["secret"] = ["(old)", "(rotated)"]
    if changes:
        endpoint.updated_at = timezone.now()
        endpoint.save()
        version_bump(ENDPOINTS_VERSION)
        event_record(actor=actor, verb="webhook.endpoint_updated", target=endpoint, changes=changes)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: User | None) -> None:
    """Delete the endpoint and its delivery log (the audit trail keeps what happened)."""
    event_record(actor=actor, verb="webhook.endpoint_deleted", target=endpoint, changes={"url": endpoint.url})
    endpoint.delete()
    version_bump(ENDPOINTS_VERSION)


# -- chat integrations ----------------------------------------------------------------------------------------------
def _template_clean(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed("A message template is required.", errors={"message_template": "required"})
    if len(text) > 2000:
        raise ValidationFailed(
            "The message template is too long.", errors={"message_template": "at most 2000 characters"}
        )
    template_check(text, field="message_template")
    return text


@transaction.atomic
def chat_integration_create(
    *, name: str, kind: str, webhook_url: str, message_template: str, actor: User | None, enabled: bool = True
) -> ChatIntegration:
    name = _short(name, field="name", max_length=100)
    if not name:
        raise ValidationFailed("A name is required.", errors={"name": "required"})
    if kind not in ChatKind.values:
        raise ValidationFailed("Kind must be slack or teams.", errors={"kind": "slack or teams"})
    if ChatIntegration.objects.filter(name=name).exists():
        raise ValidationFailed("An integration with this name exists.", errors={"name": "taken"})
    integration = ChatIntegration.objects.create(
        name=name,
        kind=kind,
        webhook_url=url_clean(webhook_url, field="webhook_url"),
        message_template=_template_clean(message_template),
        enabled=enabled,
    )
    event_record(
        actor=actor,
        verb="chat_integration.created",
        target=integration,
        changes={"name": name, "kind": kind, "enabled": enabled},
    )
    return integration


@transaction.atomic
def chat_integration_update(*, integration: ChatIntegration, actor: User | None, **values: Any) -> ChatIntegration:
    unknown = set(values) - {"name", "webhook_url", "message_template", "enabled"}
    if unknown:
        raise ValidationFailed("Unknown fields.", errors=dict.fromkeys(sorted(unknown), "unknown field"))
    integration = ChatIntegration.objects.select_for_update().get(pk=integration.pk)
    cleaned: dict[str, Any] = {}
    if "name" in values:
        name = _short(values["name"], field="name", max_length=100)
        if not name:
            raise ValidationFailed("A name is required.", errors={"name": "required"})
        if ChatIntegration.objects.filter(name=name).exclude(pk=integration.pk).exists():
            raise ValidationFailed("An integration with this name exists.", errors={"name": "taken"})
        cleaned["name"] = name
    if "webhook_url" in values:
        cleaned["webhook_url"] = url_clean(values["webhook_url"], field="webhook_url")
    if "message_template" in values:
        cleaned["message_template"] = _template_clean(values["message_template"])
    if "enabled" in values:
        cleaned["enabled"] = bool(values["enabled"])
    changes = {}
    for key, value in cleaned.items():
        if getattr(integration, key) != value:
            # the URL is a credential (anyone holding it can post): record that it changed, not what it is
            changes[key] = ["(old)", "(new)"] if key == "webhook_url" else [getattr(integration, key), value]
            setattr(integration, key, value)
    if changes:
        integration.updated_at = timezone.now()
        integration.save()
        event_record(actor=actor, verb="chat_integration.updated", target=integration, changes=changes)
    return integration


@transaction.atomic
def chat_integration_delete(*, integration: ChatIntegration, actor: User | None) -> None:
    event_record(actor=actor, verb="chat_integration.deleted", target=integration, changes={"name": integration.name})
    integration.delete()


# -- payloads -------------------------------------------------------------------------------------------------------
def ticket_data(ticket: Ticket) -> dict[str, Any]:
    """What a receiver learns about the ticket (docs/automation-webhooks.md, "Payload")."""
    requester = ticket.requester
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "language": ticket.language,
        "team": ticket.team.slug if ticket.team is not None else None,
        "assignee": ticket.assignee.username if ticket.assignee is not None else None,
        "requester": {"id": requester.pk, "name": requester.name, "email": requester.primary_email},
        "company": {"id": ticket.company.pk, "name": ticket.company.name} if ticket.company is not None else None,
        "tags": sorted(t.name for t in ticket.tags.all()),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "url": ticket_url(ticket.number),
    }


def _ticket_for_payload(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related("requester", "company", "team", "assignee")
        .prefetch_related("tags")
        .filter(pk=ticket_id)
        .first()
    )


def event_payload(*, event_id: str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    envelope = {"id": event_id, "type": event_type, "created_at": timezone.now(), "data": data}
    stored: dict[str, Any] = json.loads(payload_body(envelope))  # JSON types only, as stored and as sent
    return stored


# -- creating deliveries --------------------------------------------------------------------------------------------
def _delivery_add(
    *,
    endpoint: WebhookEndpoint | None = None,
    integration: ChatIntegration | None = None,
    event_id: str,
    event_type: str,
    payload: dict[str, Any],
    ticket_id: int | None,
    actor: User | None = None,
    reason: str = "",
) -> WebhookDelivery:
    """A pending delivery, its audit event, and attempt 1 queued once the transaction commits. Call inside one.
    Its next_attempt_at lies one lease ahead, so the retry pass picks it up only if the queued task is lost."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        chat_integration=integration,
        event_id=event_id,
        event_type=event_type,
        payload=payload,
        ticket_id=ticket_id,
        next_attempt_at=now + ATTEMPT_LEASE,
        created_at=now,
    )
    event_record(
        actor=actor,
        actor_label=reason,
        verb="webhook.delivery_queued",
        target=delivery,
        changes={
            "endpoint": endpoint.pk if endpoint else None,
            "chat_integration": integration.pk if integration else None,
            "event_type": event_type,
            "ticket": ticket_id,
        },
    )
    delivery_id = delivery.pk
    transaction.on_commit(lambda: job_enqueue("automation.webhook_deliver", delivery_id=delivery_id, attempt=1))
    return delivery


def webhooks_on_ticket_event(event: TicketEvent) -> None:
    """The ticket-event listener (runs after the event's transaction commits). It costs the writing request one
    query (the subscriptions' version) when no endpoint listens to the event's type, and one queued job when some
    does: the deliveries are created by that job (`webhooks_fan_out`), not in the request. A failure is logged;
    the ticket write has committed and must not fail."""
    event_type = f"ticket.{event.kind}"
    try:
        if event_type not in _subscriptions.get().event_types:
            return
        job_enqueue(
            "automation.webhooks_fan_out",
            kind=event.kind,
            ticket_id=event.ticket_id,
            actor_id=event.actor_id,
            changes=json.loads(payload_body(event.changes)),
            message_id=event.message_id,
            source=event.source,
            occurred_at=timezone.now().isoformat(),
        )
    except Exception:
        logger.exception("webhook fan-out for ticket %s (%s) not queued", event.ticket_id, event.kind)


def webhooks_fan_out(*, event: TicketEvent, occurred_at: str) -> int:
    """One delivery per enabled endpoint subscribed to the event's type, with the ticket as it is now and the
    event's own time; the background job the listener queues. Returns how many deliveries it created."""
    event_type = f"ticket.{event.kind}"
    endpoints = [e for e in WebhookEndpoint.objects.filter(enabled=True) if event_type in e.event_types]
    if not endpoints:
        return 0
    ticket = _ticket_for_payload(event.ticket_id)
    if ticket is None:
        return 0
    data = {
        "ticket": ticket_data(ticket),
        "changes": event.changes,
        "actor_id": event.actor_id,
        "message_id": event.message_id,
        "source": event.source,
        "occurred_at": occurred_at,
    }
    payload = event_payload(event_id=f"evt_{uuid.uuid4().hex}", event_type=event_type, data=data)
    with transaction.atomic():
        for endpoint in endpoints:
            _delivery_add(
                endpoint=endpoint, event_id=payload["id"], event_type=event_type, payload=payload, ticket_id=ticket.pk
            )
    return len(endpoints)


def webhook_rule_delivery(*, endpoint_id: int, ticket: Ticket, rule_label: str, event: TicketEvent | None) -> str:
    """The call_webhook action: a delivery of type automation.rule to one endpoint, inside the firing's
    transaction. Returns the timeline line."""
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        return "Webhook not called: the endpoint was deleted."
    if not endpoint.enabled:
        return f"Webhook not called: {endpoint.url} is disabled."
    full = _ticket_for_payload(ticket.pk)
    data = {
        "ticket": ticket_data(full or ticket),
        "rule": rule_label,
        "trigger_event": event.kind if event else None,
    }
    payload = event_payload(event_id=f"evt_{uuid.uuid4().hex}", event_type=RULE_EVENT, data=data)
    _delivery_add(
        endpoint=endpoint,
        event_id=payload["id"],
        event_type=RULE_EVENT,
        payload=payload,
        ticket_id=ticket.pk,
        reason=rule_label,
    )
    return f"Webhook queued to {endpoint.url}"


def chat_delivery(*, integration: ChatIntegration, payload: dict[str, Any], ticket_id: int, rule_label: str) -> None:
    """post_to_slack / post_to_teams: queue the built message, inside the firing's transaction."""
    _delivery_add(
        integration=integration,
        event_id=f"evt_{uuid.uuid4().hex}",
        event_type=f"chat.{integration.kind}",
        payload=payload,
        ticket_id=ticket_id,
        reason=rule_label,
    )


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint, actor: User | None) -> WebhookDelivery:
    """Queue a ping to the endpoint (also when it is disabled: an admin tests it before enabling it again)."""
    payload = event_payload(
        event_id=f"evt_{uuid.uuid4().hex}", event_type=PING, data={"endpoint_id": endpoint.pk, "message": "ping"}
    )
    return _delivery_add(
        endpoint=endpoint, event_id=payload["id"], event_type=PING, payload=payload, ticket_id=None, actor=actor
    )


@transaction.atomic
def webhook_delivery_resend(*, delivery: WebhookDelivery, actor: User | None) -> WebhookDelivery:
    """Queue a copy of the delivery (same event id and payload, a new delivery id) to the same target."""
    target = delivery.endpoint or delivery.chat_integration
    if target is None or not target.enabled:
        raise ValidationFailed(
            "The target of this delivery is disabled; enable it first.", errors={"delivery": "disabled"}
        )
    return _delivery_add(
        endpoint=delivery.endpoint,
        integration=delivery.chat_integration,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        ticket_id=delivery.ticket_id,
        actor=actor,
    )


# -- attempts -------------------------------------------------------------------------------------------------------
def retry_delay(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """How long after failed attempt number `attempt` (1, 2, ...) the next one waits: 60 s doubled per attempt,
    capped at 6 hours, then "equal jitter" (a random point in the upper half), so endpoints that failed together
    are not retried together."""
    base = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return timedelta(seconds=base / 2 + (rng or _jitter).uniform(0, base / 2))


@dataclass(frozen=True)
class AttemptOutcome:
    status: str
    response_code: int | None
    error: str


def _skip(delivery: WebhookDelivery, reason: str) -> AttemptOutcome:
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SKIPPED, next_attempt_at=None, last_error=reason
        )
        event_record(
            actor=None, verb="webhook.delivery_skipped", target=delivery, changes={"status": ["pending", "skipped"]}
        )
    return AttemptOutcome(DeliveryStatus.SKIPPED, None, reason)


def _request(delivery: WebhookDelivery, now: datetime) -> tuple[str, bytes, dict[str, str]]:
    body = payload_body(delivery.payload)
    if delivery.endpoint is not None:
        headers = {
            SIGNATURE_HEADER: webhook_signature(
                secret=delivery.endpoint.secret, timestamp=int(now.timestamp()), body=body
            ),
            DELIVERY_HEADER: str(delivery.uid),
            EVENT_HEADER: delivery.event_type,
        }
        return delivery.endpoint.url, body, headers
    integration = delivery.chat_integration
    if integration is None:  # the check constraint allows no such row
        raise ValueError(f"delivery {delivery.pk} has no target")
    return integration.webhook_url, body, {}


def webhook_delivery_attempt(*, delivery_id: int, attempt: int) -> AttemptOutcome | None:
    """Make attempt number `attempt` of the delivery; None when it is not pending or another worker has made (or
    is making) that attempt. Runs outside any transaction: the POST must not hold a database transaction open."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, attempts=attempt - 1
    ).update(attempts=attempt, next_attempt_at=now + ATTEMPT_LEASE, last_attempt_at=now)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "chat_integration").get(pk=delivery_id)
    target = delivery.endpoint or delivery.chat_integration
    # A disabled target gets nothing, except the first attempt of a ping: an admin asking whether it is back.
    if target is None or (not target.enabled and (delivery.event_type != PING or attempt > 1)):
        return _skip(delivery, "The target was disabled before this attempt.")
    url, body, headers = _request(delivery, now)
    result = webhook_post(url, body=body, headers=headers)
    return _attempt_record(delivery, attempt=attempt, result_ok=result.ok, result=result)


def _attempt_record(delivery: WebhookDelivery, *, attempt: int, result_ok: bool, result: Any) -> AttemptOutcome:
    now = timezone.now()
    max_attempts = settings.SUPPORTLOOP_WEBHOOK_MAX_ATTEMPTS
    if result_ok:
        status, next_at, verb = DeliveryStatus.SUCCEEDED, None, "webhook.delivery_succeeded"
    elif attempt >= max_attempts:
        status, next_at, verb = DeliveryStatus.FAILED, None, "webhook.delivery_failed"
    else:
        status, next_at, verb = DeliveryStatus.PENDING, now + retry_delay(attempt), "webhook.delivery_retry_scheduled"
    error = result.error or ("" if result_ok else f"HTTP {result.status_code}")
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status,
            next_attempt_at=next_at,
            last_response_code=result.status_code,
            last_response_body=result.body[:1000],
            last_error=error[:1000],
            duration_ms=result.duration_ms,
        )
        event_record(
            actor=None,
            verb=verb,
            target=delivery,
            changes={
                "attempt": attempt,
                "status": ["pending", status],
                "response_code": result.status_code,
                "error": error[:300],
                "next_attempt_at": next_at,
            },
        )
        if delivery.endpoint_id is not None:
            _endpoint_count(delivery.endpoint_id, ok=result_ok, now=now)
    return AttemptOutcome(status, result.status_code, error)


def _endpoint_count(endpoint_id: int, *, ok: bool, now: datetime) -> None:
    """Consecutive failed attempts of the endpoint; at the limit it is switched off and the admins are told."""
    if ok:
        WebhookEndpoint.objects.filter(pk=endpoint_id, consecutive_failures__gt=0).update(consecutive_failures=0)
        return
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=F("consecutive_failures") + 1)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    limit = settings.SUPPORTLOOP_WEBHOOK_DISABLE_AFTER
    if not endpoint.enabled or endpoint.consecutive_failures < limit:
        return
    endpoint.enabled = False
    endpoint.disabled_at = now
    endpoint.updated_at = now
    endpoint.save(update_fields=["enabled", "disabled_at", "updated_at"])
    version_bump(ENDPOINTS_VERSION)
    event_record(
        actor=None,
        verb="webhook.endpoint_disabled",
        target=endpoint,
        changes={"enabled": [True, False], "consecutive_failures": endpoint.consecutive_failures},
    )
    url, failures = endpoint.url, endpoint.consecutive_failures
    transaction.on_commit(lambda: _tell_admins_disabled(url=url, failures=failures))


def _tell_admins_disabled(*, url: str, failures: int) -> None:
    to = sorted(
        set(User.objects.filter(role=Role.ADMIN, is_active=True).exclude(email="").values_list("email", flat=True))
    )
    if not to:
        logger.warning("webhook endpoint %s disabled; no admin has an email address", url)
        return
    link = settings.SITE_URL.rstrip("/") + reverse("web:webhooks")
    body = (
        f"The webhook endpoint {url} failed {failures} times in a row, so supportloop switched it off. Events "
        "are no longer sent to it; the delivery log shows the response codes and errors.\n\n"
        f"When the receiver works again, enable the endpoint (and re-send what it missed) here: {link}\n"
    )
    try:
        send_mail(f"[supportloop] Webhook endpoint disabled: {url}", body, settings.DEFAULT_FROM_EMAIL, to)
    except Exception:  # the disabling and its event are recorded; the mail is best effort
        logger.exception("could not tell the admins that webhook endpoint %s was disabled", url)


def webhook_retry_due(*, now: datetime | None = None) -> int:
    """The retry pass: queue the next attempt of every pending delivery whose time has come (a retry, or an
    attempt whose worker died). Pushing next_attempt_at one lease ahead first keeps the next pass from queueing it
    again; the attempt number keeps two queued tasks from both sending. Returns how many were queued."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", "attempts", "next_attempt_at")[:RETRY_BATCH]
    )
    queued = 0
    for pk, attempts, next_at in due:
        moved = WebhookDelivery.objects.filter(
            pk=pk, status=DeliveryStatus.PENDING, attempts=attempts, next_attempt_at=next_at
        ).update(next_attempt_at=now + ATTEMPT_LEASE)
        if moved:
            job_enqueue("automation.webhook_deliver", delivery_id=pk, attempt=attempts + 1)
            queued += 1
    return queued


def webhook_retry_is_due(now: datetime) -> bool:
    return WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).exists()
