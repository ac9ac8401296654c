"""Business-time arithmetic on hand-built calendars; every expected moment is worked out in the comment beside it.

The calendars: Mon-Fri 09:00-17:00 in Europe/Berlin (CET = UTC+1 in winter, CEST = UTC+2 in summer; in 2026
the clocks go forward on Sunday 29 March and back on Sunday 25 October), with public holidays where a test says.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import holidays
import pytest

from supportloop.automation.business_hours import (
    ALWAYS_OPEN,
    BusinessHours,
    ClosedDays,
    NoBusinessHours,
    business_add,
    business_seconds_between,
    is_open_at,
    parse_weekly,
)

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)]
H = 3600


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(closed=frozenset(), spec=NINE_TO_FIVE) -> BusinessHours:
    return BusinessHours(tz=BERLIN, weekly=parse_weekly(spec), closed=closed)


def test_adding_inside_one_day():
    # Tue 3 Feb 2026 10:00 CET (09:00 UTC) + 2 h = 12:00 CET = 11:00 UTC
    assert business_add(berlin(), utc(2026, 2, 3, 9), 2 * H) == utc(2026, 2, 3, 11)


def test_a_target_that_ends_at_closing_time_is_due_at_closing_time():
    # Fri 6 Feb 15:00 CET + 2 h = Fri 17:00 CET (16:00 UTC), not Monday 09:00
    assert business_add(berlin(), utc(2026, 2, 6, 14), 2 * H) == utc(2026, 2, 6, 16)


def test_adding_across_a_weekend():
    # Fri 6 Feb 16:00 CET + 4 h: 1 h on Friday, then Mon 9 Feb 09:00 + 3 h = 12:00 CET = 11:00 UTC
    assert business_add(berlin(), utc(2026, 2, 6, 15), 4 * H) == utc(2026, 2, 9, 11)


def test_starting_outside_hours_counts_from_the_next_opening():
    # Sat 7 Feb 12:00 + 30 min = Mon 9 Feb 09:30 CET = 08:30 UTC
    assert business_add(berlin(), utc(2026, 2, 7, 11), 1800) == utc(2026, 2, 9, 8, 30)
    # Tue 3 Feb 18:00 CET (after closing) + 1 h = Wed 10:00 CET = 09:00 UTC
    assert business_add(berlin(), utc(2026, 2, 3, 17), H) == utc(2026, 2, 4, 9)


def test_a_public_holiday_from_the_holidays_library_is_closed():
    # Good Friday 3 April 2026 and Easter Monday 6 April are German public holidays (CEST, UTC+2).
    de = holidays.country_holidays("DE", subdiv="BE")
    assert date(2026, 4, 3) in de and date(2026, 4, 6) in de
    hours = berlin(ClosedDays(de, frozenset()))
    # Thu 2 April 16:00 CEST (14:00 UTC) + 3 h: 1 h Thursday, Fri holiday, weekend, Mon holiday,
    # Tue 7 April 09:00 + 2 h = 11:00 CEST = 09:00 UTC
    assert business_add(hours, utc(2026, 4, 2, 14), 3 * H) == utc(2026, 4, 7, 9)
    assert business_seconds_between(hours, utc(2026, 4, 2, 14), utc(2026, 4, 7, 9)) == 3 * H


def test_custom_closed_dates_are_closed():
    hours = berlin(ClosedDays(None, frozenset({date(2026, 2, 4)})))
    # Tue 3 Feb 16:00 CET + 2 h: 1 h Tuesday, Wed closed, Thu 09:00 + 1 h = 10:00 CET = 09:00 UTC
    assert business_add(hours, utc(2026, 2, 3, 15), 2 * H) == utc(2026, 2, 5, 9)


def test_across_the_spring_dst_change():
    # Fri 27 March 2026 16:00 CET (15:00 UTC) + 2 h: 1 h Friday (until 17:00 CET = 16:00 UTC), clocks go
    # forward on Sunday, Mon 30 March 09:00 CEST + 1 h = 10:00 CEST = 08:00 UTC (not 09:00 UTC as in winter).
    assert business_add(berlin(), utc(2026, 3, 27, 15), 2 * H) == utc(2026, 3, 30, 8)
    assert business_seconds_between(berlin(), utc(2026, 3, 27, 15), utc(2026, 3, 30, 8)) == 2 * H


def test_across_the_autumn_dst_change():
    # Fri 23 Oct 2026 16:00 CEST (14:00 UTC) + 2 h: 1 h Friday, clocks go back on Sunday,
    # Mon 26 Oct 09:00 CET + 1 h = 10:00 CET = 09:00 UTC.
    assert business_add(berlin(), utc(2026, 10, 23, 14), 2 * H) == utc(2026, 10, 26, 9)


def test_a_24_hour_day_on_the_night_the_clocks_change_has_23_or_25_hours():
    always = BusinessHours(tz=BERLIN, weekly=parse_weekly([{"day": 6, "start": "00:00", "end": "24:00"}]))
    # Sunday 29 March 2026 lasts 23 hours in Berlin (00:00 CET = Sat 23:00 UTC to 24:00 CEST = Sun 22:00 UTC)
    assert business_seconds_between(always, utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)) == 23 * H
    # Sunday 25 October 2026 lasts 25 hours (Sat 22:00 UTC to Sun 23:00 UTC)
    assert business_seconds_between(always, utc(2026, 10, 24, 0), utc(2026, 10, 27, 0)) == 25 * H
    # 24 h from Sunday 29 March 00:00 CET: the 23 hours of that Sunday, then the next Sunday's first hour,
    # 5 April 01:00 CEST = 4 April 23:00 UTC
    assert business_add(always, utc(2026, 3, 28, 23), 24 * H) == utc(2026, 4, 4, 23)


def test_between_counts_only_open_time():
    # Mon 9 Feb 08:00 UTC (09:00 CET) to Wed 11 Feb 12:00 UTC (13:00 CET): 8 + 8 + 4 = 20 h
    assert business_seconds_between(berlin(), utc(2026, 2, 9, 8), utc(2026, 2, 11, 12)) == 20 * H
    assert business_seconds_between(berlin(), utc(2026, 2, 11, 12), utc(2026, 2, 9, 8)) == 0


def test_split_shifts_and_a_time_zone_far_from_utc():
    tokyo = BusinessHours(
        tz=ZoneInfo("Asia/Tokyo"),
        weekly=parse_weekly(
            [{"day": 0, "start": "09:00", "end": "12:00"}, {"day": 0, "start": "13:00", "end": "18:00"}]
        ),
    )
    # Mon 2 Feb 2026 11:00 JST (02:00 UTC) + 2 h: 1 h until noon, lunch, 13:00 + 1 h = 14:00 JST = 05:00 UTC
    assert business_add(tokyo, utc(2026, 2, 2, 2), 2 * H) == utc(2026, 2, 2, 5)
    assert is_open_at(tokyo, utc(2026, 2, 2, 2)) and not is_open_at(tokyo, utc(2026, 2, 2, 3, 30))


def test_zero_and_the_24_7_clock():
    assert business_add(berlin(), utc(2026, 2, 7, 11), 0) == utc(2026, 2, 7, 11)
    assert business_add(ALWAYS_OPEN, utc(2026, 2, 7, 11), 90) == utc(2026, 2, 7, 11, 1, 30)


def test_bad_schedules_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        parse_weekly([{"day": 0, "start": "09:00", "end": "12:00"}, {"day": 0, "start": "11:00", "end": "13:00"}])
    with pytest.raises(ValueError, match="after the start"):
        parse_weekly([{"day": 0, "start": "12:00", "end": "09:00"}])
    with pytest.raises(ValueError, match="day must be"):
        parse_weekly([{"day": 7, "start": "09:00", "end": "10:00"}])
    closed_forever = BusinessHours(tz=BERLIN, weekly=((),) * 7)
    with pytest.raises(NoBusinessHours):
        business_add(closed_forever, utc(2026, 2, 7, 11), 60)
    with pytest.raises(ValueError, match="aware"):
        business_add(berlin(), datetime(2026, 2, 7, 11), 60)
    assert parse_weekly([{"day": 0, "start": "22:00", "end": "24:00"}])[0] == ((time(22), time(0)),)
