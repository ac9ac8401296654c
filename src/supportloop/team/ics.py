"""iCalendar (RFC 5545) feeds of the rotation, written with the `icalendar` library."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from supportloop.team.models import Shift

PRODID = "-//supportloop//support rotation//EN"


def shifts_to_ics(shifts: Iterable[Shift], *, name: str, link: str) -> bytes:
    """One VEVENT per shift (UTC times, a stable UID per shift, SEQUENCE bumped by swaps so calendar clients
    update the event rather than add a second one)."""
    from icalendar import Calendar
    from icalendar import Event as VEvent

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    host = settings.SITE_URL.split("//")[-1].split("/")[0] or "supportloop"
    stamp = timezone.now()
    for shift in shifts:
        event = VEvent()
        event.add("uid", f"shift-{shift.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add("summary", f"Support duty ({shift.pattern.name}): {shift.user}")
        event.add("description", f"First-line support duty. New tickets: {link}")
        event.add("url", link)
        event.add("sequence", getattr(shift, "swap_count", 0))
        cal.add_component(event)
    return cal.to_ical()
