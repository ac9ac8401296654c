"""Engineering trackers' inbound webhooks: verify each provider's own signature scheme, recognise "this issue is
closed (done)", and propose shipping the feedback items linked to that issue (feedback/services/proposals.py).

Each provider authenticates its deliveries differently (their documentation, checked when this was written):
- GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed by the webhook secret>`; the
  delivery id in `X-GitHub-Delivery`; the event in `X-GitHub-Event` (`issues`, action `closed`).
- GitLab: no signature; `X-Gitlab-Token` carries the secret token itself, compared in constant time; the delivery
  id in `X-Gitlab-Event-UUID` (`Idempotency-Key` on GitLab 17.4+, preferred when present); `Issue Hook` events,
  `object_attributes.action == "close"`.
- Jira (admin-registered webhooks with a secret): `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`
  (the WebSub signature method); the delivery id in `X-Atlassian-Webhook-Identifier`; `jira:issue_updated` with
  the issue's status category `done`.
- Linear: `Linear-Signature: <hex HMAC-SHA256 of the raw body>`; the delivery id in `Linear-Delivery`; `Issue`
  updates whose `data.state.type` is `completed`; `webhookTimestamp` (ms) must be recent (replay window).

Every comparison is constant-time (hmac.compare_digest) over the exact bytes received. A bad or missing
signature is refused (401) and recorded as a `rejected` TrackerDelivery (no body kept) for an operator; a verified
delivery is recorded once per (tracker, delivery id), so a redelivery acts once. Bodies are capped
(TRACKER_WEBHOOK_MAX_BYTES) and requests rate-limited per client address (TRACKER_WEBHOOK_RATE).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from supportloop.core import ratelimit
from supportloop.core.errors import DomainError, TooLarge, ValidationFailed
from supportloop.feedback.choices import DeliveryOutcome, Tracker
from supportloop.feedback.models import EngineeringLink, TrackerDelivery
from supportloop.feedback.services.proposals import ship_proposal_create

logger = logging.getLogger(__name__)

KINDS = (Tracker.GITHUB, Tracker.GITLAB, Tracker.JIRA, Tracker.LINEAR)
SECRET_SETTINGS: dict[str, str] = {
    Tracker.GITHUB: "TRACKER_GITHUB_SECRET",
    Tracker.GITLAB: "TRACKER_GITLAB_SECRET",
    Tracker.JIRA: "TRACKER_JIRA_SECRET",
    Tracker.LINEAR: "TRACKER_LINEAR_SECRET",
}
DELIVERY_HEADERS: dict[str, tuple[str, ...]] = {
    Tracker.GITHUB: ("X-GitHub-Delivery",),
    Tracker.GITLAB: ("Idempotency-Key", "X-Gitlab-Event-UUID"),
    Tracker.JIRA: ("X-Atlassian-Webhook-Identifier",),
    Tracker.LINEAR: ("Linear-Delivery",),
}
EVENT_HEADERS: dict[str, str] = {
    Tracker.GITHUB: "X-GitHub-Event",
    Tracker.GITLAB: "X-Gitlab-Event",
    Tracker.JIRA: "",
    Tracker.LINEAR: "Linear-Event",
}
MAX_LINKS = 50  # items one issue can propose at once


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"
    type_slug = "unauthorized"


class NotConfigured(DomainError):
    """A provider whose secret is not set has no webhook here (404, not a 5xx: nothing is wrong with the server)."""

    status = 404
    title = "Not found"
    type_slug = "not-configured"


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"
    type_slug = "too-many-requests"


@dataclass(frozen=True)
class ClosedIssue:
    """An issue the tracker reports closed (done): how links name it."""

    keys: tuple[str, ...]  # e.g. "acme/app#7", "PROJ-12", "ENG-7"
    urls: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Received:
    outcome: str  # proposed, ignored, duplicate
    delivery_id: str
    proposals: int = 0
    detail: str = ""


# -- signatures -------------------------------------------------------------------------------------------------
def hmac_sha256_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def signature_valid(kind: str, *, secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether the delivery carries this provider's valid signature (or token) for `secret`."""
    if kind == Tracker.GITHUB:
        return _equal(headers.get("X-Hub-Signature-256", ""), "sha256=" + hmac_sha256_hex(secret, body))
    if kind == Tracker.JIRA:
        return _equal(headers.get("X-Hub-Signature", ""), "sha256=" + hmac_sha256_hex(secret, body))
    if kind == Tracker.LINEAR:
        return _equal(headers.get("Linear-Signature", "").lower(), hmac_sha256_hex(secret, body))
    if kind == Tracker.GITLAB:
        return _equal(headers.get("X-Gitlab-Token", ""), secret)
    return False


# -- payloads ---------------------------------------------------------------------------------------------------
def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str:
    return value.strip()[:500] if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def closed_issue(kind: str, *, event: str, payload: Any) -> ClosedIssue | None:
    """The issue this delivery reports closed (done), or None for any other event."""
    if kind == Tracker.GITHUB:
        if event != "issues" or _get(payload, "action") != "closed":
            return None
        repo, number = _text(_get(payload, "repository", "full_name")), _text(_get(payload, "issue", "number"))
        url = _text(_get(payload, "issue", "html_url"))
        key = f"{repo}#{number}" if repo and number else ""
        return ClosedIssue(keys=(key,) if key else (), urls=(url,) if url else (), label=key or url)
    if kind == Tracker.GITLAB:
        if _get(payload, "object_kind") != "issue" or _get(payload, "object_attributes", "action") != "close":
            return None
        project = _text(_get(payload, "project", "path_with_namespace"))
        iid = _text(_get(payload, "object_attributes", "iid"))
        url = _text(_get(payload, "object_attributes", "url"))
        key = f"{project}#{iid}" if project and iid else ""
        return ClosedIssue(keys=(key,) if key else (), urls=(url,) if url else (), label=key or url)
    if kind == Tracker.JIRA:
        if _get(payload, "webhookEvent") != "jira:issue_updated":
            return None
        if _get(payload, "issue", "fields", "status", "statusCategory", "key") != "done":
            return None
        key = _text(_get(payload, "issue", "key"))
        return ClosedIssue(keys=(key,) if key else (), urls=(), label=key)
    if kind == Tracker.LINEAR:
        if _get(payload, "type") != "Issue" or _get(payload, "action") != "update":
            return None
        if _get(payload, "data", "state", "type") != "completed":
            return None
        key = _text(_get(payload, "data", "identifier"))
        url = _text(_get(payload, "data", "url"))
        return ClosedIssue(keys=(key,) if key else (), urls=(url,) if url else (), label=key or url)
    return None


def links_for(kind: str, issue: ClosedIssue) -> list[EngineeringLink]:
    """The items' links to this issue: by key, by exact URL, or (Jira) by the URL's /browse/KEY ending."""
    match = Q()
    for key in issue.keys:
        match |= Q(key__iexact=key)
        if kind == Tracker.JIRA:
            match |= Q(url__iendswith=f"/browse/{key}")
    for url in issue.urls:
        match |= Q(url=url)
    if not match:
        return []
    return list(EngineeringLink.objects.filter(match, tracker=kind).select_related("item").order_by("id")[:MAX_LINKS])


# -- receiving --------------------------------------------------------------------------------------------------
def _delivery_id(kind: str, headers: Mapping[str, str], body: bytes) -> str:
    for name in DELIVERY_HEADERS[kind]:
        value = headers.get(name, "").strip()
        if value:
            return value[:200]
    # A provider version without a delivery header: the body itself identifies a redelivery.
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _record_rejected(kind: str, *, headers: Mapping[str, str], body: bytes, address: str | None, detail: str) -> None:
    TrackerDelivery.objects.create(
        tracker=kind,
        delivery_id=_delivery_id(kind, headers, body),
        event=(headers.get(EVENT_HEADERS[kind], "") if EVENT_HEADERS[kind] else "")[:100],
        outcome=DeliveryOutcome.REJECTED,
        detail=detail[:500],
        address=address,
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
    logger.warning("tracker webhook %s from %s refused: %s", kind, address or "unknown", detail)


def tracker_webhook_receive(
    *, kind: str, headers: Mapping[str, str], body: bytes, address: str | None = None
) -> Received:
    """Verify one delivery and act on it: propose shipping the items linked to a closed issue. Raises
    Unauthorized (401, recorded), NotConfigured (404), TooLarge (413), RateLimited (429) or ValidationFailed."""
    if kind not in KINDS:
        raise ValidationFailed(f"Unknown tracker {kind!r}.", errors={"kind": f"one of {', '.join(KINDS)}"})
    if settings.TRACKER_WEBHOOK_RATE:
        rate = ratelimit.Rate.parse(settings.TRACKER_WEBHOOK_RATE)
        hit = ratelimit.hit(f"tracker:{address or 'unknown'}", limit=rate.limit, window=rate.window)
        if not hit.allowed:
            raise RateLimited(f"Too many tracker deliveries; retry in {hit.retry_after} s.")
    if len(body) > settings.TRACKER_WEBHOOK_MAX_BYTES:
        raise TooLarge(f"The body is larger than {settings.TRACKER_WEBHOOK_MAX_BYTES} bytes.")
    secret = getattr(settings, SECRET_SETTINGS[kind], "") or ""
    if not secret:
        raise NotConfigured(f"{SECRET_SETTINGS[kind]} is not set: {kind} deliveries are not accepted.")
    if not signature_valid(kind, secret=secret, headers=headers, body=body):
        _record_rejected(kind, headers=headers, body=body, address=address, detail="missing or bad signature")
        raise Unauthorized(f"The {kind} delivery's signature does not verify.")
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationFailed("The body is not JSON.", errors={"body": "not JSON"}) from None
    if kind == Tracker.LINEAR:
        stamp = _get(payload, "webhookTimestamp")
        age = time.time() - stamp / 1000 if isinstance(stamp, (int, float)) else None
        if age is None or abs(age) > settings.TRACKER_LINEAR_MAX_AGE_SECONDS:
            _record_rejected(kind, headers=headers, body=body, address=address, detail="stale or missing timestamp")
            raise Unauthorized("The Linear delivery is too old (or has no webhookTimestamp): a replay is refused.")
    event = headers.get(EVENT_HEADERS[kind], "") if EVENT_HEADERS[kind] else str(_get(payload, "webhookEvent") or "")
    delivery_id = _delivery_id(kind, headers, body)
    issue = closed_issue(kind, event=event, payload=payload)
    links = links_for(kind, issue) if issue is not None else []
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = TrackerDelivery.objects.create(
                    tracker=kind,
                    delivery_id=delivery_id,
                    event=event[:100],
                    outcome=DeliveryOutcome.PROPOSED if links else DeliveryOutcome.IGNORED,
                    detail=(issue.label if issue else "not an issue closing")[:500],
                    address=address,
                    body_sha256=hashlib.sha256(body).hexdigest(),
                    received_at=timezone.now(),
                )
        except IntegrityError:
            return Received(outcome="duplicate", delivery_id=delivery_id, detail="delivered before")
        proposals = 0
        for link in links:
            assert issue is not None  # noqa: S101 - links exist only for an issue
            if ship_proposal_create(link=link, issue=issue.label, issue_url=link.url, delivery=delivery):
                proposals += 1
    if issue is None:
        return Received(outcome="ignored", delivery_id=delivery_id, detail="not an issue closing")
    if not links:
        return Received(outcome="ignored", delivery_id=delivery_id, detail=f"no item links {issue.label}")
    return Received(outcome="proposed", delivery_id=delivery_id, proposals=proposals, detail=issue.label)
