"""The duration histograms behind the Times dashboard at scale: buckets, percentiles read off counts (exact below
100 s, within one 2% bucket above), the DailyDuration rollup kept by the services and equal to a rebuild, and the
dashboard reading it only when it holds exactly the period's tickets."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from supportloop.accounts.choices import Role
from supportloop.accounts.services import team_create
from supportloop.analytics import dashboards, durations, metrics
from supportloop.analytics.dashboards import Filters, time_stats
from supportloop.analytics.models import DailyDuration
from supportloop.analytics.rollups import analytics_rebuild, ticket_fact_refresh
from supportloop.tickets.models import Ticket
from supportloop.tickets.services import ticket_reply, ticket_update


def test_every_duration_falls_inside_its_bucket():
    for seconds in [*range(300), 3_599, 3_600, 86_399, 86_400, 2_592_000, 31_536_000]:
        low, high = durations.bucket_bounds(durations.bucket_of(seconds))
        assert low <= seconds < high, seconds
        assert high - low <= max(1.0, 0.0201 * high)  # one second below 100 s, 2% above
    assert durations.bucket_of(-5) == 0


def test_percentiles_are_exact_below_100_seconds():
    values = [3, 7, 7, 12, 50, 99, 0, 42]
    counts: dict[int, int] = {}
    for v in values:
        counts[durations.bucket_of(v)] = counts.get(durations.bucket_of(v), 0) + 1
    for fraction in (0.0, 0.5, 0.9, 1.0):
        assert durations.percentile_of(counts, fraction) == pytest.approx(metrics.percentile(values, fraction))
    assert durations.percentile_of({}, 0.5) is None


def test_percentiles_stay_within_one_bucket_of_the_exact_value():
    rng = random.Random(7)
    values = [int(rng.lognormvariate(9, 1.5)) for _ in range(5000)]  # minutes to weeks
    counts: dict[int, int] = {}
    for v in values:
        counts[durations.bucket_of(v)] = counts.get(durations.bucket_of(v), 0) + 1
    for fraction in (0.5, 0.9):
        exact = metrics.percentile(values, fraction)
        assert durations.percentile_of(counts, fraction) == pytest.approx(exact, rel=0.02)


def _rollup() -> set[tuple]:
    return {
        (d.day, d.measure, d.team_key, d.ordering, d.bucket, d.count) for d in DailyDuration.objects.all() if d.count
    }


@pytest.mark.django_db
def test_services_keep_the_duration_counts_equal_to_a_rebuild(committed, make_ticket, make_user):
    agent = make_user(Role.AGENT)
    team = team_create(name="Billing", slug="billing")
    ticket = committed(make_ticket)
    assert not _rollup()  # no response yet: nothing timed
    committed(ticket_reply, ticket=ticket, actor=agent, body="On it.")
    assert {(m, o) for _d, m, _t, o, _b, _c in _rollup()} == {
        ("first_response", "calendar"),
        ("first_response", "working"),
    }
    committed(ticket_update, ticket=ticket, actor=agent, status="solved")
    committed(ticket_update, ticket=ticket, actor=agent, team=team)  # its counts move to the team
    assert {t for _d, _m, t, _o, _b, _c in _rollup()} == {team.pk}
    committed(ticket_update, ticket=ticket, actor=None, status="open")  # reopened: no resolution any more
    assert {m for _d, m, _t, _o, _b, _c in _rollup()} == {"first_response"}
    other = committed(make_ticket)
    committed(ticket_update, ticket=other, actor=agent, status="solved")
    kept = _rollup()
    analytics_rebuild()
    assert _rollup() == kept
    ticket_fact_refresh(ticket_id=other.pk)  # idempotent
    assert _rollup() == kept


@pytest.mark.django_db
def test_the_times_dashboard_reads_the_counts_only_when_they_hold_the_period(make_ticket, monkeypatch):
    start, end = dashboards.local_midnight(date(2026, 11, 2)), dashboards.local_midnight(date(2026, 11, 9))
    rng = random.Random(3)
    for i in range(60):
        created = start + timedelta(hours=rng.randint(0, 160))
        ticket = make_ticket()
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            first_response_at=created + timedelta(seconds=rng.randint(30, 200_000)),
            solved_at=created + timedelta(seconds=rng.randint(200_000, 900_000)) if i % 2 else None,
        )
    for hours in (3, 50, 120):  # not answered yet: no first response to count
        ticket = make_ticket()
        Ticket.objects.filter(pk=ticket.pk).update(created_at=start + timedelta(hours=hours))
    analytics_rebuild()
    exact = time_stats(start=start, end=end, filters=Filters())

    read: list[str] = []
    original = dashboards._durations_from_rollup

    def spy(measure, days):
        found = original(measure, days)
        read.append(f"{measure}:{'rollup' if found else 'facts'}")
        return found

    monkeypatch.setattr(dashboards, "_durations_from_rollup", spy)
    monkeypatch.setattr(dashboards, "DURATION_ROLLUP_FROM", 1)
    approximate = time_stats(start=start, end=end, filters=Filters())
    assert read == ["first_response:rollup", "resolution:rollup"]
    for measure in ("first_response", "resolution"):
        got, want = approximate[measure]["overall"], exact[measure]["overall"]
        assert got["count"] == want["count"] > 0
        for key in ("median", "p90", "calendar_median", "calendar_p90"):
            assert got[key] == pytest.approx(want[key], rel=0.02, abs=0.01)

    # counts that miss a ticket (a failed refresh, an upgrade not rebuilt) are not used
    read.clear()
    row = DailyDuration.objects.filter(measure="first_response", ordering="calendar").first()
    DailyDuration.objects.filter(pk=row.pk).update(count=row.count - 1)
    assert time_stats(start=start, end=end, filters=Filters())["first_response"] == exact["first_response"]
    assert read == ["first_response:facts", "resolution:rollup"]

    # a filter, or a period that does not start at a local midnight, reads the facts
    read.clear()
    time_stats(start=start + timedelta(hours=1), end=end, filters=Filters())
    time_stats(start=start, end=end, filters=Filters(channel="email"))
    assert read == []
