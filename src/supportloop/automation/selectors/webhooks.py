"""Reads of webhook endpoints, chat integrations and the delivery log, shared by the API and the settings page."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from supportloop.automation.models import ChatIntegration, WebhookDelivery, WebhookEndpoint
from supportloop.core.errors import NotFound

DELIVERY_PAGE = 50


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("created_by").order_by("pk")


def webhook_endpoint_get(*, endpoint_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_list().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def chat_integration_list() -> QuerySet[ChatIntegration]:
    return ChatIntegration.objects.order_by("name")


def chat_integration_get(*, integration_id: int) -> ChatIntegration:
    integration = ChatIntegration.objects.filter(pk=integration_id).first()
    if integration is None:
        raise NotFound("No such chat integration.")
    return integration


def webhook_delivery_list(
    *,
    endpoint_id: int | None = None,
    integration_id: int | None = None,
    status: str | None = None,
    limit: int = DELIVERY_PAGE,
    before_id: int | None = None,
) -> list[WebhookDelivery]:
    """Newest first (by id), `limit` rows older than `before_id`: the delivery log of one target or of all."""
    deliveries = WebhookDelivery.objects.select_related("endpoint", "chat_integration").order_by("-pk")
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    if integration_id is not None:
        deliveries = deliveries.filter(chat_integration_id=integration_id)
    if status:
        deliveries = deliveries.filter(status=status)
    if before_id is not None:
        deliveries = deliveries.filter(pk__lt=before_id)
    return list(deliveries[:limit])


def webhook_delivery_get(*, delivery_id: int) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_related("endpoint", "chat_integration").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


DeliveriesByTarget = dict[int, list[WebhookDelivery]]


def webhook_recent_deliveries(*, per_target: int) -> tuple[DeliveriesByTarget, DeliveriesByTarget]:
    """The newest `per_target` deliveries of every endpoint and of every chat integration, in one query (a row
    number per target, newest first): the settings page's logs without a query per endpoint."""
    ranked = WebhookDelivery.objects.annotate(
        rank=Window(RowNumber(), partition_by=[F("endpoint_id"), F("chat_integration_id")], order_by=F("pk").desc())
    )
    rows = WebhookDelivery.objects.filter(pk__in=ranked.filter(rank__lte=per_target).values("pk")).order_by("-pk")
    by_endpoint: DeliveriesByTarget = defaultdict(list)
    by_integration: DeliveriesByTarget = defaultdict(list)
    for delivery in rows:
        if delivery.endpoint_id is not None:
            by_endpoint[delivery.endpoint_id].append(delivery)
        elif delivery.chat_integration_id is not None:
            by_integration[delivery.chat_integration_id].append(delivery)
    return by_endpoint, by_integration
