"""Every dashboard figure on hand-built cases: times (median/p90, business hours), reopen rate, contacts per
customer, the hour-of-week heatmap in the workspace time zone, the backlog, CSAT/CES/NPS under both calculation
windows and their breakdowns, macro usage, the CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from supportloop.accounts.services import team_create
from supportloop.analytics.dashboards import (
    Filters,
    backlog_series,
    dashboard_report,
    headline_figures,
    hour_of_week_counts,
    table_csv,
)
from supportloop.analytics.models import MacroDailyVolume
from supportloop.analytics.rollups import analytics_rebuild, ticket_fact_refresh
from supportloop.core.errors import ValidationFailed
from supportloop.surveys.models import SurveyResponse, SurveySend
from supportloop.tickets.models import Macro, MacroApplication, ProductArea, Ticket

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
END = datetime(2026, 11, 9, tzinfo=UTC)


def _at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _ticket(make_ticket, *, created, first=None, solved=None, **fields) -> Ticket:
    ticket = make_ticket(**fields)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, first_response_at=first, solved_at=solved)
    return ticket


def _rows(report, key):
    return report.table(key).rows


def test_times_median_and_p90_in_calendar_hours(make_ticket):
    # first responses after 1, 2, 3 and 10 hours: median (2 + 3) / 2 = 2.5 h, p90 3 + 0.7 x 7 = 7.9 h
    for hours in (1, 2, 3, 10):
        _ticket(make_ticket, created=_at(3, 8), first=_at(3, 8) + timedelta(hours=hours))
    # resolutions of tickets solved in the period after 4, 6 and 20 hours: median 6 h, p90 6 + 0.8 x 14 = 17.2 h
    for hours in (4, 6, 20):
        _ticket(make_ticket, created=_at(4, 0), solved=_at(4, 0) + timedelta(hours=hours))
    # created before the period: its first response does not count; solved after it: neither does its resolution
    _ticket(make_ticket, created=_at(1, 0), first=_at(2, 12), solved=_at(9, 12))
    analytics_rebuild()
    report = dashboard_report(dashboard="times", start=START, end=END)
    first, resolution = _rows(report, "summary")
    assert first[:4] == ["First response", 4, 2.5, 7.9]
    assert resolution[:4] == ["Resolution", 3, 6.0, 17.2]
    assert first[6] == 0  # no calendar: nothing timed in business hours, calendar figures shown


def test_times_use_business_hours_where_the_team_has_a_calendar(make_ticket):
    from supportloop.automation.services.sla_config import business_calendar_create

    team = team_create(name="Office", slug="office")
    business_calendar_create(
        name="Office hours",
        time_zone="UTC",
        hours=[{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)],
        actor=None,
        teams=[team],
    )
    # Friday 11-06 16:00 -> Monday 11-09 10:00 is 2 business hours (66 calendar hours)
    _ticket(make_ticket, created=_at(6, 16), first=_at(9, 10), team=team)
    # no team: the default calendar does not exist, so 3 calendar hours count
    _ticket(make_ticket, created=_at(6, 16), first=_at(6, 19))
    analytics_rebuild()
    report = dashboard_report(dashboard="times", start=START, end=END)
    first = _rows(report, "summary")[0]
    assert first[1:4] == [2, 2.5, 2.9]  # working hours 2 and 3: median 2.5, p90 2 + 0.9 = 2.9
    assert first[4:7] == [34.5, 59.7, 1]  # calendar 3 and 66 hours: median 34.5, p90 3 + 0.9 x 63 = 59.7
    by_team = {r[0]: r for r in _rows(report, "by_team")}
    assert by_team["Office"][2] == 2.0 and by_team["(no team)"][2] == 3.0


def test_reopen_rate_and_contacts_per_customer(committed, make_ticket, make_contact, make_user):
    from supportloop.tickets.services import ticket_update

    ann, bob = make_contact("Ann"), make_contact("Bob")
    tickets = [committed(make_ticket, requester=c) for c in (ann, ann, bob)]
    for t in tickets:
        committed(ticket_update, ticket=t, actor=None, status="solved")
    committed(ticket_update, ticket=tickets[0], actor=None, status="open")
    committed(ticket_update, ticket=tickets[0], actor=None, status="solved")
    committed(make_ticket, requester=bob)  # a fourth ticket, still open
    now = datetime.now(UTC)
    report = dashboard_report(dashboard="volume", start=now - timedelta(days=1), end=now + timedelta(hours=1))
    # 3 solved in the period, 1 of them reopened once: 33.3 %
    assert _rows(report, "reopen_rate") == [[3, 1, 33.3]]
    # 4 tickets from 2 customers: 2 per customer (read off the requesters' last tickets: the period runs to now)
    assert _rows(report, "contacts_per_customer") == [[4, 2, 2.0]]
    channel = Filters(channel=tickets[0].channel)  # with a filter: the chain of that channel
    assert _rows(
        dashboard_report(
            dashboard="volume", start=now - timedelta(days=1), end=now + timedelta(hours=1), filters=channel
        ),
        "contacts_per_customer",
    ) == [[4, 2, 2.0]]
    # Ann's second ticket dated after the period: the period no longer runs to the last ticket, so the requesters
    # are counted from the period's facts (3 tickets, 2 customers)
    Ticket.objects.filter(pk=tickets[1].pk).update(created_at=now + timedelta(hours=3))
    ticket_fact_refresh(ticket_id=tickets[1].pk)
    report = dashboard_report(dashboard="volume", start=now - timedelta(days=1), end=now + timedelta(hours=1))
    assert _rows(report, "contacts_per_customer") == [[3, 2, 1.5]]
    # the same through one filter (the per-dimension rollup) and two (the full combinations)
    web_only = dashboard_report(
        dashboard="volume", start=now - timedelta(days=1), end=now + timedelta(hours=1), filters=Filters(channel="web")
    )
    assert _rows(web_only, "reopen_rate") == [[3, 1, 33.3]]
    nowhere = dashboard_report(
        dashboard="volume",
        start=now - timedelta(days=1),
        end=now + timedelta(hours=1),
        filters=Filters(channel="email", product_area_id=999),
    )
    assert _rows(nowhere, "reopen_rate") == [[0, 0, None]]


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_heatmap_buckets_by_local_weekday_and_hour(make_ticket):
    # Sunday 2026-11-01 23:30 UTC is Monday 08:30 in Tokyo (UTC+9); Monday 2026-11-02 15:10 UTC is Tuesday 00:10
    _ticket(make_ticket, created=_at(1, 23, 30))
    _ticket(make_ticket, created=_at(1, 23, 50))
    email = _ticket(make_ticket, created=_at(2, 15, 10), channel="email")
    area = ProductArea.objects.create(name="Sync", slug="sync")
    Ticket.objects.filter(pk=email.pk).update(product_area=area)
    analytics_rebuild()
    grid = hour_of_week_counts(start=_at(1), end=_at(8), filters=Filters())
    assert grid[0][8] == 2 and grid[1][0] == 1 and sum(map(sum, grid)) == 3
    only_email = hour_of_week_counts(start=_at(1), end=_at(8), filters=Filters(channel="email"))
    assert sum(map(sum, only_email)) == 1 and only_email[1][0] == 1
    # two filters read the full combinations: same answer
    both = hour_of_week_counts(start=_at(1), end=_at(8), filters=Filters(channel="email", product_area_id=area.pk))
    assert sum(map(sum, both)) == 1 and both[1][0] == 1
    other = hour_of_week_counts(start=_at(1), end=_at(8), filters=Filters(channel="web", product_area_id=area.pk))
    assert sum(map(sum, other)) == 0


def test_backlog_counts_open_tickets_at_the_end_of_each_day(make_ticket):
    now = datetime(2026, 11, 6, 12, tzinfo=UTC)
    _ticket(make_ticket, created=_at(2, 10), solved=_at(4, 10))  # open on the 2nd and 3rd
    _ticket(make_ticket, created=_at(3, 10))  # open from the 3rd on
    _ticket(make_ticket, created=_at(5, 10), solved=_at(5, 11))  # in and out on the 5th
    analytics_rebuild()
    series = backlog_series(start=_at(2), end=_at(7), filters=Filters(), now=now)
    assert series == [
        ("2026-11-02", 1),
        ("2026-11-03", 2),
        ("2026-11-04", 1),
        ("2026-11-05", 1),
        ("2026-11-06", 1),
    ]


def _response(contact, *, kind, score, sentiment, rated_at, solved_at=None, comment="", **copied):
    send = SurveySend.objects.create(kind=kind, contact=contact, expires_at=rated_at + timedelta(days=14))
    return SurveyResponse.objects.create(
        send=send,
        kind=kind,
        score=score,
        sentiment=sentiment,
        contact=contact,
        rated_at=rated_at,
        solved_at=solved_at,
        comment=comment,
        **copied,
    )


def test_satisfaction_under_both_windows(make_contact):
    ann = make_contact("Ann")
    area = ProductArea.objects.create(name="Billing", slug="billing")
    # rated in the period, solved before it: counts by rated date only
    _response(ann, kind="csat", score=0, sentiment="bad", rated_at=_at(3), solved_at=_at(1), comment="=cmd()")
    # rated and solved in the period: both windows
    for score in (1, 1):
        _response(ann, kind="csat", score=score, sentiment="good", rated_at=_at(4), solved_at=_at(3), product_area=area)
    # rated after the period, solved in it: counts by solved date only
    _response(ann, kind="csat", score=0, sentiment="bad", rated_at=_at(10), solved_at=_at(5))
    # CES 5 and 6: mean 5.5
    _response(ann, kind="ces", score=5, sentiment="good", rated_at=_at(4), solved_at=_at(4))
    _response(ann, kind="ces", score=6, sentiment="good", rated_at=_at(5), solved_at=_at(4))
    # NPS: 2 promoters, 1 passive, 1 detractor: 50 - 25 = 25
    for score, sentiment in ((10, "good"), (9, "good"), (8, "neutral"), (3, "bad")):
        _response(ann, kind="nps", score=score, sentiment=sentiment, rated_at=_at(6), comment=f"nps {score}")

    rated = dashboard_report(dashboard="satisfaction", start=START, end=END, window="rated")
    headline = {r[0]: r for r in _rows(rated, "headline")}
    assert headline["CSAT"][1:] == [3, 2, 0, 1, 66.7]  # 2 good of 3
    assert headline["CES"][1] == 2 and headline["CES"][5] == 5.5
    assert headline["NPS"][1:] == [4, 2, 1, 1, 25.0]

    solved = dashboard_report(dashboard="satisfaction", start=START, end=END, window="solved")
    headline = {r[0]: r for r in _rows(solved, "headline")}
    assert headline["CSAT"][1:] == [3, 2, 0, 1, 66.7]  # the two good ones and the one rated later
    assert headline["NPS"][1] == 0 and headline["NPS"][5] is None  # NPS has no solved date

    by_area = {r[0]: r for r in _rows(rated, "by_product_area")}
    assert by_area["Billing"][1:3] == [2, 100.0]
    assert by_area["(none)"][1:3] == [1, 0.0]

    # The responses were written without the service: the daily counts do not hold them, so the page grouped the
    # responses. After a rebuild it reads the counts, with the same tables under both windows.
    analytics_rebuild()
    for window, exact in (("rated", rated), ("solved", solved)):
        with CaptureQueriesContext(connection) as queries:
            counted = dashboard_report(dashboard="satisfaction", start=START, end=END, window=window)
        assert "GROUPING" not in " ".join(q["sql"] for q in queries.captured_queries)
        assert [t.rows for t in counted.tables] == [t.rows for t in exact.tables]
    wall = _rows(rated, "feedback_wall")
    assert [r[4] for r in wall] == ["nps 3", "nps 8", "nps 9", "nps 10", "=cmd()"]  # newest first, comments only
    assert "'=cmd()" in table_csv(rated.table("feedback_wall"))  # a comment never runs as a formula


def test_macro_usage_with_the_product_areas(make_ticket, make_user):
    billing = ProductArea.objects.create(name="Billing", slug="billing-x")
    refund = Macro.objects.create(name="Refund", body="...")
    reset = Macro.objects.create(name="Reset password", body="...")
    on_billing = make_ticket()
    Ticket.objects.filter(pk=on_billing.pk).update(product_area=billing)
    plain = make_ticket()

    def report_of(filters):
        return dashboard_report(dashboard="macros", start=START, end=END, filters=filters)

    for when, macro, ticket in (
        (_at(3), refund, on_billing),
        (_at(4), refund, on_billing),
        (_at(4), refund, plain),
        (_at(5), reset, plain),
        (_at(12), reset, plain),  # after the period
    ):
        MacroApplication.objects.create(macro=macro, ticket=ticket, applied_at=when)
    report = dashboard_report(dashboard="macros", start=START, end=END)
    assert _rows(report, "top") == [["Refund", 3, "Billing (2), (none) (1)"], ["Reset password", 1, "(none) (1)"]]
    assert _rows(report, "over_time") == [["2026-11-02", 3, 1]]
    billing_only = [["Refund", 2, "Billing (2)"]]
    assert _rows(report_of(Filters(product_area_id=billing.pk)), "top") == billing_only

    # The uses were written without the service: the daily counts do not hold them, so the page read the uses.
    # After a rebuild it reads the counts, with the same figures (and the same with a filter).
    assert not MacroDailyVolume.objects.exists()
    analytics_rebuild()
    with CaptureQueriesContext(connection) as queries:
        from_rollup = dashboard_report(dashboard="macros", start=START, end=END)
    assert "tickets_ticket" not in " ".join(q["sql"] for q in queries.captured_queries)
    assert [_rows(from_rollup, key) for key in ("top", "over_time")] == [
        _rows(report, key) for key in ("top", "over_time")
    ]
    assert _rows(report_of(Filters(product_area_id=billing.pk)), "top") == billing_only
    # A period that is not whole local days reads the uses
    assert _rows(dashboard_report(dashboard="macros", start=_at(3, 12), end=END), "top")[0][:2] == ["Refund", 2]


def test_headline_figures_for_the_lead_mail(make_ticket):
    _ticket(make_ticket, created=_at(3, 8), first=_at(3, 9), solved=_at(3, 11))
    _ticket(make_ticket, created=_at(3, 8), first=_at(3, 11))
    analytics_rebuild()
    figures = headline_figures(start=START, end=END)
    assert figures["created"] == 2
    assert figures["first_response_median_hours"] == 2.0  # 1 h and 3 h
    assert figures["resolution_median_hours"] == 3.0
    assert figures["backlog"] == 1
    assert figures["csat"] is None


def test_bad_periods_windows_and_filters_are_refused(db):
    with pytest.raises(ValidationFailed):
        dashboard_report(dashboard="volume", start=END, end=START)
    with pytest.raises(ValidationFailed):
        dashboard_report(dashboard="volume", start=START, end=START + timedelta(days=400))
    with pytest.raises(ValidationFailed):
        dashboard_report(dashboard="satisfaction", start=START, end=END, window="sent")
    with pytest.raises(ValidationFailed):
        dashboard_report(dashboard="volume", start=START, end=END, filters=Filters(channel="pigeon"))
    with pytest.raises(ValidationFailed):
        dashboard_report(dashboard="nope", start=START, end=END)
