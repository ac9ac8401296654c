"""From a BusinessCalendar row to the pure BusinessHours the arithmetic uses, with the `holidays` library's
public holidays and the calendar's custom closed dates. Built objects are cached per process by the row's id
and updated_at (a service that changes a calendar bumps updated_at), so a ticket event costs no holiday
computation after the first."""

from __future__ import annotations

import contextlib
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from supportloop.automation.business_hours import BusinessHours, ClosedDays, parse_weekly

if TYPE_CHECKING:
    from collections.abc import Container

    from supportloop.automation.models import BusinessCalendar


def time_zone_or_none(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=64)
def public_holidays(country: str, subdivision: str) -> Container[date]:
    """The country's (and subdivision's) public holidays for any year (the library fills years lazily).
    Raises NotImplementedError for an unknown country or subdivision (checked when a calendar is saved)."""
    found: Container[date] = holidays.country_holidays(country, subdiv=subdivision or None)
    return found


def custom_dates(entries: list[dict]) -> frozenset[date]:
    return frozenset(date.fromisoformat(str(e["date"])) for e in entries)


@lru_cache(maxsize=256)
def _built(
    pk: int, updated_at: object, tz: str, hours: str, country: str, subdivision: str, custom: str
) -> BusinessHours:
    import json

    zone = time_zone_or_none(tz) or ZoneInfo("UTC")
    closed = ClosedDays(public_holidays(country, subdivision) if country else None, custom_dates(json.loads(custom)))
    return BusinessHours(tz=zone, weekly=parse_weekly(json.loads(hours)), closed=closed)


def business_hours_of(calendar: BusinessCalendar) -> BusinessHours:
    import json

    return _built(
        calendar.pk,
        calendar.updated_at,
        calendar.time_zone,
        json.dumps(calendar.hours, sort_keys=True),
        calendar.holidays_country,
        calendar.holidays_subdivision,
        json.dumps(calendar.custom_closed_dates, sort_keys=True),
    )


def holiday_names(calendar: BusinessCalendar, year: int) -> list[tuple[date, str]]:
    """The closed days of a year with their names, for the settings page."""
    days: dict[date, str] = {}
    if calendar.holidays_country:
        # A country the installed library no longer knows: only the custom dates.
        with contextlib.suppress(NotImplementedError):
            days.update(
                holidays.country_holidays(
                    calendar.holidays_country, subdiv=calendar.holidays_subdivision or None, years=year
                ).items()
            )
    for entry in calendar.custom_closed_dates:
        day = date.fromisoformat(str(entry["date"]))
        if day.year == year:
            days[day] = str(entry.get("name") or "")
    return sorted(days.items())
