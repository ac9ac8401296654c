"""Changes to SLA configuration: business-hours calendars (hours, time zone, holidays, custom closed dates,
teams) and SLA policies (conditions, targets per priority, order). Each function validates what an admin or lead
typed (ValidationFailed with field errors), writes in one transaction and records one audit event.

Saving a policy does not recompute open tickets' clocks: each ticket picks the policy and calendar up again at
its next event (docs/automation-sla.md, "Changing a policy").
"""

from __future__ import annotations

from datetime import date
from typing import Any

import holidays
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from supportloop.accounts.models import Team, User
from supportloop.automation.business_hours import parse_weekly
from supportloop.automation.calendars import time_zone_or_none
from supportloop.automation.models import BusinessCalendar, BusinessCalendarTeam, SlaPolicy, SlaTarget
from supportloop.automation.services.sla import business_calendars_changed, sla_policies_changed
from supportloop.core.errors import ValidationFailed
from supportloop.core.services import event_record
from supportloop.customers.choices import Plan
from supportloop.tickets.choices import Channel, Priority

MAX_HOURS_ENTRIES = 70  # ten intervals a day
MAX_CUSTOM_DATES = 366
MAX_TARGET_MINUTES = 60 * 24 * 365  # a year of business minutes


def _clean_name(value: Any, *, field: str, max_length: int) -> str:
    name = str(value or "").strip()
    if not name:
        raise ValidationFailed("A name is required.", errors={field: "required"})
    if len(name) > max_length:
        raise ValidationFailed("The name is too long.", errors={field: f"at most {max_length} characters"})
    return name


def _clean_hours(hours: Any) -> list[dict[str, Any]]:
    if not isinstance(hours, list) or len(hours) > MAX_HOURS_ENTRIES:
        raise ValidationFailed(
            "Opening hours must be a list.", errors={"hours": f"a list of at most {MAX_HOURS_ENTRIES}"}
        )
    try:
        weekly = parse_weekly(hours)
    except ValueError as exc:
        raise ValidationFailed(f"Opening hours: {exc}.", errors={"hours": str(exc)}) from None
    if not any(weekly):
        raise ValidationFailed("A calendar needs at least one open interval.", errors={"hours": "no open hours"})
    return [
        {
            "day": day,
            "start": start.strftime("%H:%M"),
            "end": "24:00" if end.hour == end.minute == 0 else end.strftime("%H:%M"),
        }
        for day, intervals in enumerate(weekly)
        for start, end in intervals
    ]


def _clean_custom_dates(entries: Any) -> list[dict[str, str]]:
    if not isinstance(entries, list) or len(entries) > MAX_CUSTOM_DATES:
        raise ValidationFailed(
            "Custom closed dates must be a list.",
            errors={"custom_closed_dates": f"a list of at most {MAX_CUSTOM_DATES}"},
        )
    cleaned: dict[str, str] = {}
    for i, entry in enumerate(entries):
        try:
            day = date.fromisoformat(str(entry["date"]))
            name = str(entry.get("name") or "").strip()[:100]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValidationFailed(
                f"Custom closed date {i + 1} needs a date as YYYY-MM-DD.",
                errors={"custom_closed_dates": f"entry {i + 1}: YYYY-MM-DD"},
            ) from None
        cleaned[day.isoformat()] = name
    return [{"date": d, "name": n} for d, n in sorted(cleaned.items())]


def _clean_holidays(country: Any, subdivision: Any) -> tuple[str, str]:
    country = str(country or "").strip().upper()
    subdivision = str(subdivision or "").strip().upper()
    if not country:
        if subdivision:
            raise ValidationFailed("A subdivision needs a country.", errors={"holidays_subdivision": "needs a country"})
        return "", ""
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValidationFailed(
            f"No holidays are known for the country {country!r}.", errors={"holidays_country": "unknown country code"}
        )
    if subdivision and subdivision not in supported[country]:
        raise ValidationFailed(
            f"{country} has no subdivision {subdivision!r}.", errors={"holidays_subdivision": "unknown subdivision"}
        )
    return country, subdivision


def _clean_calendar_fields(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in values:
        cleaned["name"] = _clean_name(values["name"], field="name", max_length=100)
    if "time_zone" in values:
        tz = str(values["time_zone"] or "").strip()
        if not tz or len(tz) > 64 or time_zone_or_none(tz) is None:
            raise ValidationFailed("Unknown time zone.", errors={"time_zone": "an IANA name such as Europe/Berlin"})
        cleaned["time_zone"] = tz
    if "hours" in values:
        cleaned["hours"] = _clean_hours(values["hours"])
    if "custom_closed_dates" in values:
        cleaned["custom_closed_dates"] = _clean_custom_dates(values["custom_closed_dates"])
    if "is_default" in values:
        cleaned["is_default"] = bool(values["is_default"])
    return cleaned


def _set_teams(calendar: BusinessCalendar, teams: list[Team]) -> list[int]:
    """Give these teams this calendar (a team has one: it leaves its previous calendar)."""
    BusinessCalendarTeam.objects.filter(calendar=calendar).exclude(team__in=teams).delete()
    BusinessCalendarTeam.objects.filter(team__in=teams).exclude(calendar=calendar).delete()
    have = set(BusinessCalendarTeam.objects.filter(calendar=calendar).values_list("team_id", flat=True))
    BusinessCalendarTeam.objects.bulk_create(
        [BusinessCalendarTeam(calendar=calendar, team=t) for t in teams if t.pk not in have]
    )
    return sorted(t.pk for t in teams)


def _unique_name(model: type[BusinessCalendar] | type[SlaPolicy], name: str, pk: int | None) -> None:
    same = model.objects.filter(name__iexact=name)
    if pk is not None:
        same = same.exclude(pk=pk)
    if same.exists():
        raise ValidationFailed("That name is taken.", errors={"name": "already used"})


@transaction.atomic
def business_calendar_create(
    *,
    name: str,
    time_zone: str,
    hours: list[dict[str, Any]],
    actor: User | None,
    holidays_country: str = "",
    holidays_subdivision: str = "",
    custom_closed_dates: list[dict[str, Any]] | None = None,
    is_default: bool = False,
    teams: list[Team] | None = None,
) -> BusinessCalendar:
    cleaned = _clean_calendar_fields(
        {
            "name": name,
            "time_zone": time_zone,
            "hours": hours,
            "custom_closed_dates": custom_closed_dates or [],
            "is_default": is_default,
        }
    )
    country, subdivision = _clean_holidays(holidays_country, holidays_subdivision)
    _unique_name(BusinessCalendar, cleaned["name"], None)
    if cleaned["is_default"]:
        BusinessCalendar.objects.filter(is_default=True).update(is_default=False, updated_at=timezone.now())
    calendar = BusinessCalendar.objects.create(
        **cleaned, holidays_country=country, holidays_subdivision=subdivision, updated_at=timezone.now()
    )
    team_ids = _set_teams(calendar, teams or [])
    business_calendars_changed()
    event_record(
        actor=actor,
        verb="business_calendar.created",
        target=calendar,
        changes={
            **{k: [None, v] for k, v in cleaned.items()},
            "holidays": [None, f"{country} {subdivision}".strip()],
            "teams": [None, team_ids],
        },
    )
    return calendar


@transaction.atomic
def business_calendar_update(
    *, calendar: BusinessCalendar, actor: User | None, teams: list[Team] | None = None, **values: Any
) -> BusinessCalendar:
    allowed = {
        "name",
        "time_zone",
        "hours",
        "custom_closed_dates",
        "is_default",
        "holidays_country",
        "holidays_subdivision",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", errors=dict.fromkeys(sorted(unknown), "unknown field")
        )
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    cleaned = _clean_calendar_fields(values)
    if "holidays_country" in values or "holidays_subdivision" in values:
        country, subdivision = _clean_holidays(
            values.get("holidays_country", calendar.holidays_country),
            values.get("holidays_subdivision", calendar.holidays_subdivision),
        )
        cleaned["holidays_country"], cleaned["holidays_subdivision"] = country, subdivision
    if "name" in cleaned:
        _unique_name(BusinessCalendar, cleaned["name"], calendar.pk)
    if cleaned.get("is_default"):
        BusinessCalendar.objects.filter(is_default=True).exclude(pk=calendar.pk).update(
            is_default=False, updated_at=timezone.now()
        )
    changes: dict[str, list[Any]] = {}
    for key, value in cleaned.items():
        if getattr(calendar, key) != value:
            changes[key] = [getattr(calendar, key), value]
            setattr(calendar, key, value)
    if teams is not None:
        before = sorted(BusinessCalendarTeam.objects.filter(calendar=calendar).values_list("team_id", flat=True))
        after = _set_teams(calendar, teams)
        if before != after:
            changes["teams"] = [before, after]
    if changes:
        calendar.updated_at = timezone.now()  # also the cache key of the built hours (automation/calendars.py)
        calendar.save()
        business_calendars_changed()
        event_record(actor=actor, verb="business_calendar.updated", target=calendar, changes=changes)
    return calendar


# -- policies ---------------------------------------------------------------------------------------------------------
def _clean_list(values: Any, *, allowed: list[str], field: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, (list, tuple)) or len(values) > len(allowed):
        raise ValidationFailed(f"{field} must be a list.", errors={field: f"a list of: {', '.join(allowed)}"})
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValidationFailed(
            f"Unknown {field}: {', '.join(map(str, bad))}.", errors={field: f"one of {', '.join(allowed)}"}
        )
    return [v for v in allowed if v in set(values)]


def _minutes(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TARGET_MINUTES:
        raise ValidationFailed(
            "A target is a whole number of minutes.", errors={field: f"1 to {MAX_TARGET_MINUTES} minutes, or empty"}
        )
    return int(value)


def _clean_targets(targets: Any) -> dict[str, dict[str, int | None]]:
    """{priority: {"first_response": m, "next_response": m, "resolution": m}}; a priority with no target at all
    is dropped (the policy then does not apply to it)."""
    if not isinstance(targets, dict):
        raise ValidationFailed("Targets are given per priority.", errors={"targets": "an object keyed by priority"})
    cleaned: dict[str, dict[str, int | None]] = {}
    for priority, row in targets.items():
        if priority not in Priority.values:
            raise ValidationFailed(
                f"Unknown priority {priority!r}.", errors={"targets": f"one of {', '.join(Priority.values)}"}
            )
        if not isinstance(row, dict) or set(row) - {"first_response", "next_response", "resolution"}:
            raise ValidationFailed(
                "A priority's targets are first_response, next_response and resolution.",
                errors={f"targets.{priority}": "first_response, next_response, resolution (minutes)"},
            )
        values = {
            k: _minutes(row.get(k), f"targets.{priority}.{k}")
            for k in ("first_response", "next_response", "resolution")
        }
        if any(v is not None for v in values.values()):
            cleaned[priority] = values
    if not cleaned:
        raise ValidationFailed("A policy needs at least one target.", errors={"targets": "no target given"})
    return cleaned


def _write_targets(policy: SlaPolicy, targets: dict[str, dict[str, int | None]]) -> None:
    SlaTarget.objects.filter(policy=policy).delete()
    SlaTarget.objects.bulk_create(
        [
            SlaTarget(
                policy=policy,
                priority=priority,
                first_response_minutes=row["first_response"],
                next_response_minutes=row["next_response"],
                resolution_minutes=row["resolution"],
            )
            for priority, row in targets.items()
        ]
    )


def policy_targets(policy: SlaPolicy) -> dict[str, dict[str, int | None]]:
    return {
        t.priority: {
            "first_response": t.first_response_minutes,
            "next_response": t.next_response_minutes,
            "resolution": t.resolution_minutes,
        }
        for t in policy.targets.all()
    }


def _clean_policy_fields(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in values:
        cleaned["name"] = _clean_name(values["name"], field="name", max_length=150)
    if "plans" in values:
        cleaned["plans"] = _clean_list(values["plans"], allowed=list(Plan.values), field="plans")
    if "channels" in values:
        cleaned["channels"] = _clean_list(values["channels"], allowed=list(Channel.values), field="channels")
    for flag in ("is_active", "business_hours"):
        if flag in values:
            cleaned[flag] = bool(values[flag])
    if "warn_before_minutes" in values:
        lead = values["warn_before_minutes"]
        if isinstance(lead, bool) or not isinstance(lead, int) or not 0 <= lead <= MAX_TARGET_MINUTES:
            raise ValidationFailed(
                "The warning lead time is minutes.", errors={"warn_before_minutes": "0 or more minutes"}
            )
        cleaned["warn_before_minutes"] = lead
    return cleaned


@transaction.atomic
def sla_policy_create(
    *,
    name: str,
    targets: dict[str, dict[str, Any]],
    actor: User | None,
    plans: list[str] | None = None,
    channels: list[str] | None = None,
    business_hours: bool = True,
    warn_before_minutes: int = 30,
    is_active: bool = True,
    position: int | None = None,
) -> SlaPolicy:
    """A new policy, last in the order unless `position` says otherwise (then the others move down)."""
    cleaned = _clean_policy_fields(
        {
            "name": name,
            "plans": plans or [],
            "channels": channels or [],
            "business_hours": business_hours,
            "warn_before_minutes": warn_before_minutes,
            "is_active": is_active,
        }
    )
    clean_targets = _clean_targets(targets)
    _unique_name(SlaPolicy, cleaned["name"], None)
    now = timezone.now()
    policy = SlaPolicy.objects.create(**cleaned, position=0, created_at=now, updated_at=now)
    _write_targets(policy, clean_targets)
    _place(policy, position)
    sla_policies_changed()
    event_record(
        actor=actor,
        verb="sla_policy.created",
        target=policy,
        changes={
            **{k: [None, v] for k, v in cleaned.items()},
            "targets": [None, clean_targets],
            "position": [None, policy.position],
        },
    )
    return policy


def _place(policy: SlaPolicy, position: int | None) -> None:
    """Put `policy` at `position` (1 = first; None or past the end = last) and renumber all 1..n."""
    others = list(SlaPolicy.objects.select_for_update().exclude(pk=policy.pk).order_by("position", "id"))
    index = len(others) if position is None else max(0, min(position - 1, len(others)))
    ordered = [*others[:index], policy, *others[index:]]
    for number, p in enumerate(ordered, start=1):
        p.position = number
    SlaPolicy.objects.bulk_update(ordered, ["position"])


@transaction.atomic
def sla_policy_update(
    *,
    policy: SlaPolicy,
    actor: User | None,
    targets: dict[str, dict[str, Any]] | None = None,
    position: int | None = None,
    **values: Any,
) -> SlaPolicy:
    allowed = {"name", "plans", "channels", "business_hours", "warn_before_minutes", "is_active"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", errors=dict.fromkeys(sorted(unknown), "unknown field")
        )
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    cleaned = _clean_policy_fields(values)
    if "name" in cleaned:
        _unique_name(SlaPolicy, cleaned["name"], policy.pk)
    changes: dict[str, list[Any]] = {}
    for key, value in cleaned.items():
        if getattr(policy, key) != value:
            changes[key] = [getattr(policy, key), value]
            setattr(policy, key, value)
    if targets is not None:
        before = policy_targets(policy)
        after = _clean_targets(targets)
        if before != after:
            _write_targets(policy, after)
            changes["targets"] = [before, after]
    if position is not None and position != policy.position:
        before_position = policy.position
        _place(policy, position)
        changes["position"] = [before_position, policy.position]
    if changes:
        policy.updated_at = timezone.now()
        policy.save(update_fields=[*(k for k in changes if k not in {"targets", "position"}), "updated_at"])
        sla_policies_changed()
        event_record(actor=actor, verb="sla_policy.updated", target=policy, changes=changes)
    return policy


def sla_policy_next_position() -> int:
    return int(SlaPolicy.objects.aggregate(m=Max("position"))["m"] or 0) + 1
