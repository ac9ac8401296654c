"""Forms of the SLA settings pages: a business-hours calendar and an SLA policy with its targets per priority.

They check shape and turn the typed text into the services' arguments; the services check the business rules
(time zones, holiday countries, overlapping hours) and their ValidationFailed lands on these fields."""

from __future__ import annotations

from datetime import date
from typing import Any

import holidays
from django import forms
from django.utils.translation import gettext_lazy as _

from supportloop.accounts.models import Team
from supportloop.automation.models import BusinessCalendar, SlaPolicy
from supportloop.automation.services.sla_config import MAX_TARGET_MINUTES, policy_targets
from supportloop.customers.choices import Plan
from supportloop.tickets.choices import Channel, Priority

DAYS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
TARGET_NAMES = [
    ("first_response", _("First response")),
    ("next_response", _("Next response")),
    ("resolution", _("Resolution")),
]


def _country_choices() -> list[tuple[str, Any]]:
    return [("", _("No public holidays"))] + [(code, code) for code in sorted(holidays.list_supported_countries())]


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="UTC", help_text=_("e.g. Europe/Berlin"))
    holidays_country = forms.ChoiceField(label=_("Public holidays of"), required=False, choices=())
    holidays_subdivision = forms.CharField(
        label=_("Subdivision"),
        max_length=10,
        required=False,
        help_text=_("e.g. BE (Berlin) for DE; empty for national holidays"),
    )
    custom_closed_dates = forms.CharField(
        label=_("Other closed dates"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: 2026-12-24 Christmas Eve"),
    )
    is_default = forms.BooleanField(label=_("Default calendar (teams without one)"), required=False)
    teams = forms.ModelMultipleChoiceField(label=_("Teams"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, calendar: BusinessCalendar | None = None, **kwargs: Any) -> None:
        if calendar is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_of(calendar)
        super().__init__(*args, **kwargs)
        self.fields["holidays_country"].choices = _country_choices()  # type: ignore[attr-defined]
        self.fields["teams"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        for day, label in enumerate(DAYS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text=_("09:00-17:00; several: 09:00-12:00, 13:00-17:00"),
            )
        self.order_fields(["name", "time_zone", *(f"day_{d}" for d in range(7))])

    @staticmethod
    def initial_of(calendar: BusinessCalendar) -> dict[str, Any]:
        days: dict[int, list[str]] = {}
        for entry in calendar.hours:
            days.setdefault(int(entry["day"]), []).append(f"{entry['start']}-{entry['end']}")
        return {
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "holidays_country": calendar.holidays_country,
            "holidays_subdivision": calendar.holidays_subdivision,
            "custom_closed_dates": "\n".join(
                f"{e['date']} {e.get('name', '')}".strip() for e in calendar.custom_closed_dates
            ),
            "is_default": calendar.is_default,
            "teams": list(calendar.teams.all()),
            **{f"day_{d}": ", ".join(v) for d, v in days.items()},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours = []
        for day in range(7):
            text = (data.get(f"day_{day}") or "").strip()
            for part in filter(None, (p.strip() for p in text.split(","))):
                start, sep, end = part.partition("-")
                if not sep:
                    self.add_error(f"day_{day}", _("Write hours as 09:00-17:00."))
                    break
                hours.append({"day": day, "start": start.strip(), "end": end.strip()})
        data["hours"] = hours
        dates = []
        for number, line in enumerate((data.get("custom_closed_dates") or "").splitlines(), start=1):
            if not line.strip():
                continue
            day, _sep, name = line.strip().partition(" ")
            try:
                date.fromisoformat(day)
            except ValueError:
                self.add_error("custom_closed_dates", _("Line %(n)s: start with a date as 2026-12-24.") % {"n": number})
                break
            dates.append({"date": day, "name": name.strip()})
        data["custom_dates"] = dates
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": data["time_zone"],
            "hours": data["hours"],
            "holidays_country": data["holidays_country"],
            "holidays_subdivision": data["holidays_subdivision"],
            "custom_closed_dates": data["custom_dates"],
            "is_default": data["is_default"],
            "teams": list(data["teams"]),
        }


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    plans = forms.MultipleChoiceField(
        label=_("Plans"),
        choices=Plan.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every plan"),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel"),
    )
    business_hours = forms.BooleanField(label=_("Count business hours only"), required=False, initial=True)
    warn_before_minutes = forms.IntegerField(label=_("Warn this many minutes before a breach"), min_value=0, initial=30)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    position = forms.IntegerField(label=_("Position (1 is tried first)"), min_value=1, max_value=10_000, required=False)

    def __init__(self, *args: Any, policy: SlaPolicy | None = None, **kwargs: Any) -> None:
        if policy is not None and "initial" not in kwargs:
            initial: dict[str, Any] = {
                "name": policy.name,
                "plans": policy.plans,
                "channels": policy.channels,
                "business_hours": policy.business_hours,
                "warn_before_minutes": policy.warn_before_minutes,
                "is_active": policy.is_active,
                "position": policy.position,
            }
            for priority, row in policy_targets(policy).items():
                for target, minutes in row.items():
                    initial[f"{priority}_{target}"] = minutes
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for priority in Priority.values:
            for target, _label in TARGET_NAMES:
                self.fields[f"{priority}_{target}"] = forms.IntegerField(
                    label=f"{Priority(priority).label} · {_label}",
                    required=False,
                    min_value=1,
                    max_value=MAX_TARGET_MINUTES,
                )

    def grid(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The targets as rows per priority for the template."""
        return [(Priority(p).label, [self[f"{p}_{t}"] for t, _l in TARGET_NAMES]) for p in Priority.values]

    def plain_fields(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name in ("name", "plans", "channels", "business_hours", "warn_before_minutes", "is_active", "position")
        ]

    def targets(self) -> dict[str, dict[str, int | None]]:
        data = self.cleaned_data
        result = {}
        for priority in Priority.values:
            row = {t: data.get(f"{priority}_{t}") for t, _l in TARGET_NAMES}
            if any(v is not None for v in row.values()):
                result[priority] = row
        return result

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "plans": data["plans"],
            "channels": data["channels"],
            "business_hours": data["business_hours"],
            "warn_before_minutes": data["warn_before_minutes"],
            "is_active": data["is_active"],
        }
