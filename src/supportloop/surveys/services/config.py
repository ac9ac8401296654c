"""Survey settings: the one row and its audited changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.core.errors import ValidationFailed
from supportloop.core.services import event_record, model_update
from supportloop.surveys.choices import (
    CsatScale,
)
from supportloop.surveys.models import SurveySettings
from supportloop.tickets.models import ContactReason


def survey_settings() -> SurveySettings:
    """The workspace's survey settings (the row is made with its defaults on first read)."""
    row, _created = SurveySettings.objects.get_or_create(pk=1)
    return row


SETTINGS_FIELDS = (
    "csat_enabled",
    "csat_delay_minutes",
    "csat_scale",
    "ces_enabled",
    "nps_enabled",
    "nps_interval_days",
    "throttle_days",
    "link_valid_days",
)
LIMITS = {
    "csat_delay_minutes": (0, 60 * 24 * 14),
    "nps_interval_days": (7, 3650),
    "throttle_days": (0, 3650),
    "link_valid_days": (1, 365),
}


@transaction.atomic
def survey_settings_update(
    *, actor: User | None, ces_contact_reasons: list[str] | None = None, **values: Any
) -> SurveySettings:
    """Change survey settings; `ces_contact_reasons` are contact reason slugs. Unknown fields, values out of
    range and unknown reasons are refused (422 naming the field)."""
    row = SurveySettings.objects.select_for_update().get(pk=survey_settings().pk)
    errors: dict[str, str] = {}
    for name, (low, high) in LIMITS.items():
        if name in values and not (isinstance(values[name], int) and low <= values[name] <= high):
            errors[name] = f"must be a whole number from {low} to {high}"
    if "csat_scale" in values and values["csat_scale"] not in CsatScale.values:
        errors["csat_scale"] = f"must be one of {', '.join(CsatScale.values)}"
    reasons: list[ContactReason] = []
    if ces_contact_reasons is not None:
        reasons = list(ContactReason.objects.filter(slug__in=ces_contact_reasons))
        unknown = sorted(set(ces_contact_reasons) - {r.slug for r in reasons})
        if unknown:
            errors["ces_contact_reasons"] = f"unknown contact reason(s): {', '.join(unknown)}"
    if errors:
        raise ValidationFailed("Invalid survey settings.", errors=errors)
    changes = model_update(row, values, allowed_fields=SETTINGS_FIELDS, touch={"updated_at": timezone.now()})
    if ces_contact_reasons is not None:
        before = sorted(row.ces_contact_reasons.values_list("slug", flat=True))
        after = sorted(r.slug for r in reasons)
        if before != after:
            row.ces_contact_reasons.set(reasons)
            changes["ces_contact_reasons"] = [before, after]
            row.updated_at = timezone.now()
            row.save(update_fields=["updated_at"])
    if changes:
        event_record(actor=actor, verb="surveys.settings_updated", target=row, changes=changes)
    return row
