"""Engineering trackers' inbound webhooks (no sign-in: each provider's own signature or token is the credential,
automation/trackers.py): GitHub, GitLab, Jira and Linear deliveries that close an issue propose shipping the
feedback items linked to it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ninja import Router, Schema
from pydantic import ConfigDict

from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS
from supportloop.api.schemas.common import choices_of
from supportloop.automation import trackers
from supportloop.core.clients import client_address

router = Router(tags=["trackers"])

if TYPE_CHECKING:
    KindT = str
else:
    KindT = choices_of(list(trackers.KINDS))


class DeliveryIn(Schema):
    """Whatever JSON object the provider sends: the signature covers the raw bytes, which the service reads."""

    model_config = ConfigDict(extra="allow")


class TrackerDeliveryOut(Schema):
    outcome: str  # proposed, ignored, duplicate
    delivery_id: str
    proposals: int
    detail: str


@router.post(
    "/{kind}/webhook",
    auth=None,
    response={200: TrackerDeliveryOut, **PROBLEMS},
    summary="A tracker's webhook delivery (signed by the provider; no authentication)",
    description=(
        "GitHub: X-Hub-Signature-256 (HMAC-SHA256). GitLab: X-Gitlab-Token (the secret token). Jira: X-Hub-Signature "
        "(HMAC-SHA256). Linear: Linear-Signature (HMAC-SHA256) and a recent webhookTimestamp. A closed (done) issue "
        "proposes shipping the linked feedback items to their product manager; a redelivery (same delivery id) "
        "acts once. 401 for a bad signature (recorded for an operator), 404 when the provider's secret is not set."
    ),
    operation_id="tracker_webhook",
)
def tracker_webhook(request: ApiRequest, kind: KindT, payload: DeliveryIn) -> dict[str, Any]:
    address = client_address(request)
    received = trackers.tracker_webhook_receive(
        kind=kind, headers=request.headers, body=request.body, address=None if address == "unknown" else address
    )
    return {
        "outcome": received.outcome,
        "delivery_id": received.delivery_id,
        "proposals": received.proposals,
        "detail": received.detail,
    }
