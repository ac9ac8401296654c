"""Outbound webhook endpoints, chat integrations (Slack, Teams) and the delivery log: admins only (their URLs and
signing secrets are credentials). Re-sending a delivery and pinging an endpoint queue work for the task worker."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId, StrictIn
from supportloop.api.schemas.common import choices_of
from supportloop.automation.choices import ChatKind, DeliveryStatus, WebhookEventType
from supportloop.automation.models import ChatIntegration, WebhookDelivery, WebhookEndpoint
from supportloop.automation.selectors import webhooks as selectors
from supportloop.automation.services import webhooks as services

if TYPE_CHECKING:
    EventTypeT = str
    ChatKindT = str
    DeliveryStatusT = str
else:
    EventTypeT = choices_of(WebhookEventType)
    ChatKindT = choices_of(ChatKind)
    DeliveryStatusT = choices_of(DeliveryStatus)

router = Router(tags=["webhooks"])
ACTION = "webhook.manage"


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    secret: str = Field(..., description="Verifies the Supportloop-Signature header (docs/automation-webhooks.md)")
    event_types: list[str]
    enabled: bool
    consecutive_failures: int
    disabled_at: datetime | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_created_by(obj: WebhookEndpoint) -> str | None:
        return obj.created_by.username if obj.created_by else None


class EndpointCreateIn(StrictIn):
    url: str = Field(..., min_length=1, max_length=2000, examples=["https://hooks.example.com/supportloop"])
    event_types: list[EventTypeT] = Field(..., min_length=1, max_length=len(WebhookEventType.values))
    description: str = Field("", max_length=services.MAX_DESCRIPTION)
    enabled: bool = True


class EndpointUpdateIn(StrictIn):
    url: str | None = Field(None, min_length=1, max_length=2000)
    event_types: list[EventTypeT] | None = Field(None, min_length=1, max_length=len(WebhookEventType.values))
    description: str | None = Field(None, max_length=services.MAX_DESCRIPTION)
    enabled: bool | None = Field(None, description="Enabling clears the count of consecutive failures")
    rotate_secret: bool | None = Field(None, description="true: a new signing secret (the old one stops at once)")


class ChatOut(Schema):
    id: int
    name: str
    kind: str
    webhook_url: str
    message_template: str
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ChatCreateIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=100)
    kind: ChatKindT
    webhook_url: str = Field(..., min_length=1, max_length=2000)
    message_template: str = Field(
        ..., min_length=1, max_length=2000, examples=["New urgent ticket #{ticket.number}: {ticket.subject}"]
    )
    enabled: bool = True


class ChatUpdateIn(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    webhook_url: str | None = Field(None, min_length=1, max_length=2000)
    message_template: str | None = Field(None, min_length=1, max_length=2000)
    enabled: bool | None = None


class DeliveryOut(Schema):
    id: int
    uid: UUID = Field(..., description="The Supportloop-Delivery header the receiver saw")
    endpoint: int | None = Field(None, alias="endpoint_id")
    chat_integration: int | None = Field(None, alias="chat_integration_id")
    event_id: str
    event_type: str
    ticket_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_response_code: int | None
    last_response_body: str
    last_error: str
    duration_ms: int | None
    created_at: datetime


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any]


class DeliveryQuery(Schema):
    endpoint: Id | None = None
    chat_integration: Id | None = None
    status: DeliveryStatusT | None = None
    before: Id | None = Field(None, description="Rows older than this delivery id (the next page)")
    limit: int = Field(selectors.DELIVERY_PAGE, ge=1, le=200)


def _values(payload: Schema) -> dict[str, Any]:
    return {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}


# -- endpoints --------------------------------------------------------------------------------------------------------
@router.get(
    "/endpoints", response={200: list[EndpointOut], **PROBLEMS}, summary="List endpoints", operation_id="webhooks_list"
)
def endpoint_list(request: ApiRequest) -> list[Any]:
    require(request.auth, ACTION)
    return list(selectors.webhook_endpoint_list())


@router.post(
    "/endpoints",
    response={201: EndpointOut, **PROBLEMS},
    summary="Create an endpoint (the server generates its signing secret)",
    operation_id="webhook_create",
)
def endpoint_create(request: ApiRequest, payload: EndpointCreateIn) -> Respond[Any]:
    require(request.auth, ACTION)
    endpoint = services.webhook_endpoint_create(actor=request.auth, **payload.model_dump())
    return Respond(201, selectors.webhook_endpoint_get(endpoint_id=endpoint.pk))


@router.get(
    "/endpoints/{int:endpoint_id}",
    response={200: EndpointOut, **PROBLEMS},
    summary="Read an endpoint",
    operation_id="webhook_get",
)
def endpoint_read(request: ApiRequest, endpoint_id: PathId) -> WebhookEndpoint:
    require(request.auth, ACTION)
    return selectors.webhook_endpoint_get(endpoint_id=endpoint_id)


@router.patch(
    "/endpoints/{int:endpoint_id}",
    response={200: EndpointOut, **PROBLEMS},
    summary="Update, enable, disable an endpoint or rotate its secret",
    operation_id="webhook_update",
)
def endpoint_update(request: ApiRequest, endpoint_id: PathId, payload: EndpointUpdateIn) -> WebhookEndpoint:
    require(request.auth, ACTION)
    endpoint = selectors.webhook_endpoint_get(endpoint_id=endpoint_id)
    services.webhook_endpoint_update(endpoint=endpoint, actor=request.auth, **_values(payload))
    return selectors.webhook_endpoint_get(endpoint_id=endpoint_id)


@router.delete(
    "/endpoints/{int:endpoint_id}",
    response={204: None, **PROBLEMS},
    summary="Delete an endpoint and its delivery log",
    operation_id="webhook_delete",
)
def endpoint_delete(request: ApiRequest, endpoint_id: PathId) -> Respond[None]:
    require(request.auth, ACTION)
    endpoint = selectors.webhook_endpoint_get(endpoint_id=endpoint_id)
    services.webhook_endpoint_delete(endpoint=endpoint, actor=request.auth)
    return Respond(204, None)


@router.post(
    "/endpoints/{int:endpoint_id}/ping",
    response={202: DeliveryOut, **PROBLEMS},
    summary="Send a test ping (queued; the delivery log shows the answer)",
    operation_id="webhook_ping",
)
def endpoint_ping(request: ApiRequest, endpoint_id: PathId) -> Respond[Any]:
    require(request.auth, ACTION)
    endpoint = selectors.webhook_endpoint_get(endpoint_id=endpoint_id)
    delivery = services.webhook_ping(endpoint=endpoint, actor=request.auth)
    return Respond(202, delivery)


# -- deliveries -------------------------------------------------------------------------------------------------------
@router.get(
    "/deliveries",
    response={200: list[DeliveryOut], **PROBLEMS},
    summary="The delivery log, newest first, with response codes",
    operation_id="webhook_deliveries_list",
)
def delivery_list(request: ApiRequest, query: Query[DeliveryQuery]) -> list[WebhookDelivery]:
    require(request.auth, ACTION)
    return selectors.webhook_delivery_list(
        endpoint_id=query.endpoint,
        integration_id=query.chat_integration,
        status=query.status,
        before_id=query.before,
        limit=query.limit,
    )


@router.get(
    "/deliveries/{int:delivery_id}",
    response={200: DeliveryDetailOut, **PROBLEMS},
    summary="One delivery with its payload",
    operation_id="webhook_delivery_get",
)
def delivery_read(request: ApiRequest, delivery_id: PathId) -> WebhookDelivery:
    require(request.auth, ACTION)
    return selectors.webhook_delivery_get(delivery_id=delivery_id)


@router.post(
    "/deliveries/{int:delivery_id}/resend",
    response={202: DeliveryOut, **PROBLEMS},
    summary="Send a delivery again (a new delivery id, the same event id and payload)",
    operation_id="webhook_delivery_resend",
)
def delivery_resend(request: ApiRequest, delivery_id: PathId) -> Respond[Any]:
    require(request.auth, ACTION)
    delivery = selectors.webhook_delivery_get(delivery_id=delivery_id)
    return Respond(202, services.webhook_delivery_resend(delivery=delivery, actor=request.auth))


# -- chat integrations ------------------------------------------------------------------------------------------------
@router.get(
    "/chat",
    response={200: list[ChatOut], **PROBLEMS},
    summary="List Slack and Teams integrations",
    operation_id="chat_integrations_list",
)
def chat_list(request: ApiRequest) -> list[Any]:
    require(request.auth, ACTION)
    return list(selectors.chat_integration_list())


@router.post(
    "/chat",
    response={201: ChatOut, **PROBLEMS},
    summary="Add a Slack incoming webhook or a Teams workflow webhook",
    operation_id="chat_integration_create",
)
def chat_create(request: ApiRequest, payload: ChatCreateIn) -> Respond[Any]:
    require(request.auth, ACTION)
    return Respond(201, services.chat_integration_create(actor=request.auth, **payload.model_dump()))


@router.get(
    "/chat/{int:integration_id}",
    response={200: ChatOut, **PROBLEMS},
    summary="Read a chat integration",
    operation_id="chat_integration_get",
)
def chat_read(request: ApiRequest, integration_id: PathId) -> ChatIntegration:
    require(request.auth, ACTION)
    return selectors.chat_integration_get(integration_id=integration_id)


@router.patch(
    "/chat/{int:integration_id}",
    response={200: ChatOut, **PROBLEMS},
    summary="Update a chat integration",
    operation_id="chat_integration_update",
)
def chat_update(request: ApiRequest, integration_id: PathId, payload: ChatUpdateIn) -> ChatIntegration:
    require(request.auth, ACTION)
    integration = selectors.chat_integration_get(integration_id=integration_id)
    return services.chat_integration_update(integration=integration, actor=request.auth, **_values(payload))


@router.delete(
    "/chat/{int:integration_id}",
    response={204: None, **PROBLEMS},
    summary="Delete a chat integration and its delivery log",
    operation_id="chat_integration_delete",
)
def chat_delete(request: ApiRequest, integration_id: PathId) -> Respond[None]:
    require(request.auth, ACTION)
    integration = selectors.chat_integration_get(integration_id=integration_id)
    services.chat_integration_delete(integration=integration, actor=request.auth)
    return Respond(204, None)
