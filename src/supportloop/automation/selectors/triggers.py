"""Reads of triggers and their recent firings for the settings page and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from supportloop.automation.models import Trigger, TriggerFiring
from supportloop.core.lookup import object_or_404


def trigger_list() -> QuerySet[Trigger]:
    return Trigger.objects.order_by("position", "id")


def trigger_get(*, trigger_id: int) -> Trigger:
    return object_or_404(trigger_list(), pk=trigger_id)


def trigger_firings(*, trigger_id: int, limit: int = 20) -> QuerySet[TriggerFiring]:
    """The trigger's latest firings with their tickets' numbers (index automation_firing_cap_idx leads with
    the trigger)."""
    return TriggerFiring.objects.filter(trigger_id=trigger_id).select_related("ticket").order_by("-at", "-id")[:limit]
