"""The rollups follow the ticket services (through the ticket-event listener) and equal a rebuild; business-hours
times over a weekend and overnight; macro uses follow the macro service and their ticket's product area; survey
answers are counted in the answer's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.services import team_create
from supportloop.analytics.macro_rollups import macro_facts_refresh
from supportloop.analytics.models import (
    DailyTagging,
    HourlyDimensionVolume,
    HourlyVolume,
    MacroApplicationFact,
    MacroDailyVolume,
    RequesterLastTicket,
    SurveyDailyVolume,
    TicketFact,
)
from supportloop.analytics.rollups import analytics_rebuild, ticket_fact_refresh
from supportloop.automation.services.sla_config import business_calendar_create
from supportloop.tickets.models import MacroApplication, Ticket
from supportloop.tickets.services import (
    macro_apply,
    macro_create,
    product_area_create,
    product_feature_create,
    ticket_reply,
    ticket_update,
)

pytestmark = pytest.mark.django_db


def _buckets() -> set[tuple]:
    full = {
        (b.hour, b.channel, b.product_area_key, b.contact_reason_key, b.team_key, b.created, b.solved, b.reopened)
        for b in HourlyVolume.objects.all()
        if b.created or b.solved or b.reopened
    }
    sums = {
        (d.hour, d.dimension, d.key, d.created, d.solved, d.reopened)
        for d in HourlyDimensionVolume.objects.all()
        if d.created or d.solved or d.reopened
    }
    tagging = {
        (t.day, t.assignee_key, t.product_area_key, t.contact_reason_key, t.created)
        for t in DailyTagging.objects.all()
        if t.created
    }
    return full | sums | tagging


def _facts() -> list[tuple]:
    return list(
        TicketFact.objects.order_by("ticket_id").values_list(
            "ticket_id",
            "channel",
            "product_area_id_key",
            "team_id_key",
            "assignee_id_key",
            "first_response_seconds",
            "resolution_seconds",
            "reopens",
            "solved_at",
        )
    )


def test_services_keep_the_rollups_current_and_equal_to_a_rebuild(committed, make_ticket, make_user):
    agent = make_user(Role.AGENT)
    ticket = committed(make_ticket, channel="email")
    fact = TicketFact.objects.get(ticket=ticket)
    assert fact.first_response_seconds is None and fact.solved_at is None
    assert HourlyVolume.objects.get().created == 1

    committed(ticket_reply, ticket=ticket, actor=agent, body="On it.")
    assert TicketFact.objects.get(ticket=ticket).first_response_seconds is not None

    committed(ticket_update, ticket=ticket, actor=agent, status="solved")
    assert TicketFact.objects.get(ticket=ticket).resolution_seconds is not None
    assert sum(HourlyVolume.objects.values_list("solved", flat=True)) == 1

    committed(ticket_update, ticket=ticket, actor=None, status="open")  # the customer came back
    fact = TicketFact.objects.get(ticket=ticket)
    assert fact.reopens == 1 and fact.solved_at is None
    assert sum(HourlyVolume.objects.values_list("solved", flat=True)) == 0

    team = team_create(name="Billing", slug="billing")
    committed(ticket_update, ticket=ticket, actor=agent, team=team)
    assert TicketFact.objects.get(ticket=ticket).team_id_key == team.pk
    # the created count moved to the team's bucket; the old bucket is empty
    assert [(b.channel, b.team_key, b.created) for b in HourlyVolume.objects.filter(created__gt=0)] == [
        ("email", team.pk, 1)
    ]
    committed(ticket_update, ticket=ticket, actor=agent, assignee=agent)
    # the Tag quality count moved to the agent: nothing left under "nobody"
    assert [(t.assignee_key, t.created) for t in DailyTagging.objects.filter(created__gt=0)] == [(agent.pk, 1)]
    assert not DailyTagging.objects.filter(assignee_key=0, created__gt=0).exists()
    committed(ticket_update, ticket=ticket, actor=agent, status="solved")  # solved again, after a reopen
    assert sum(HourlyVolume.objects.values_list("reopened", flat=True)) == 1
    assert sum(HourlyDimensionVolume.objects.filter(dimension="all").values_list("reopened", flat=True)) == 1
    other = committed(make_ticket)
    committed(ticket_update, ticket=other, actor=agent, status="solved")
    assert sum(HourlyVolume.objects.values_list("solved", flat=True)) == 2

    # the per-dimension sums agree with the combinations they sum
    assert sum(HourlyDimensionVolume.objects.filter(dimension="all").values_list("created", flat=True)) == 2
    assert (
        sum(HourlyDimensionVolume.objects.filter(dimension="channel", key="email").values_list("created", flat=True))
        == 1
    )
    kept_buckets, kept_facts = _buckets(), _facts()
    analytics_rebuild()
    assert _buckets() == kept_buckets
    assert _facts() == kept_facts


def test_refresh_is_idempotent(committed, make_ticket):
    ticket = committed(make_ticket)
    ticket_fact_refresh(ticket_id=ticket.pk)
    ticket_fact_refresh(ticket_id=ticket.pk)
    assert TicketFact.objects.count() == 1
    assert sum(HourlyVolume.objects.values_list("created", flat=True)) == 1


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_business_hours_skip_the_weekend_and_the_night(make_ticket):
    team = team_create(name="Tier 1", slug="tier-1")
    business_calendar_create(
        name="Office",
        time_zone="UTC",
        hours=[{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)],
        actor=None,
        teams=[team],
    )
    weekend = make_ticket(team=team)
    overnight = make_ticket(team=team)
    # Friday 2026-11-27 16:00 -> first reply Monday 11-30 10:00: 1 h on Friday + 1 h on Monday = 2 h business,
    # 66 h calendar. Solved Monday 12:30: 1 h + 3.5 h = 4.5 h business.
    Ticket.objects.filter(pk=weekend.pk).update(
        created_at=_at(2026, 11, 27, 16), first_response_at=_at(2026, 11, 30, 10), solved_at=_at(2026, 11, 30, 12, 30)
    )
    # Tuesday 16:30 -> Wednesday 09:30: half an hour each side of the night = 1 h business, 17 h calendar.
    Ticket.objects.filter(pk=overnight.pk).update(
        created_at=_at(2026, 12, 1, 16, 30), first_response_at=_at(2026, 12, 2, 9, 30)
    )
    for t in (weekend, overnight):
        ticket_fact_refresh(ticket_id=t.pk)
    fact = TicketFact.objects.get(ticket=weekend)
    assert fact.first_response_seconds == 66 * 3600
    assert fact.first_response_business_seconds == 2 * 3600
    assert fact.resolution_business_seconds == 4.5 * 3600
    night = TicketFact.objects.get(ticket=overnight)
    assert (night.first_response_seconds, night.first_response_business_seconds) == (17 * 3600, 3600)
    assert night.resolution_seconds is None and night.resolution_business_seconds is None

    kept = (
        _facts(),
        list(
            TicketFact.objects.order_by("pk").values_list(
                "first_response_business_seconds", "resolution_business_seconds"
            )
        ),
    )
    analytics_rebuild()
    assert (
        _facts(),
        list(
            TicketFact.objects.order_by("pk").values_list(
                "first_response_business_seconds", "resolution_business_seconds"
            )
        ),
    ) == kept


def test_without_any_calendar_business_times_stay_empty(make_ticket):
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=ticket.created_at.replace(microsecond=0))
    fact = ticket_fact_refresh(ticket_id=ticket.pk)
    assert fact is not None and fact.first_response_business_seconds is None


def test_a_refresh_for_a_missing_ticket_writes_nothing(db):
    assert ticket_fact_refresh(ticket_id=987654) is None
    assert not TicketFact.objects.exists() and not HourlyVolume.objects.exists()


def test_changes_that_no_fact_is_made_of_skip_the_refresh(committed, make_ticket, make_user, monkeypatch):
    from supportloop.analytics import tasks

    agent = make_user(Role.AGENT)
    ticket = committed(make_ticket)
    refreshed: list[int] = []
    history_read: list[bool] = []
    monkeypatch.setattr(
        tasks,
        "ticket_fact_refresh",
        lambda *, ticket_id, reopened: refreshed.append(ticket_id) or history_read.append(reopened),
    )

    committed(ticket_reply, ticket=ticket, actor=agent, body="First answer.")  # sets the first response
    assert refreshed == [ticket.pk]
    committed(ticket_reply, ticket=ticket, actor=agent, body="And one more thing.")  # the fact cannot change
    committed(ticket_update, ticket=ticket, actor=agent, priority="high")
    assert refreshed == [ticket.pk]
    team = team_create(name="Billing", slug="billing")
    committed(ticket_update, ticket=ticket, actor=agent, team=team)
    committed(ticket_update, ticket=ticket, actor=agent, status="solved")
    assert refreshed == [ticket.pk] * 3
    committed(ticket_update, ticket=ticket, actor=None, status="open")  # a reopen: only it reads the history
    assert history_read == [False, False, False, True]


def test_a_ticket_adds_to_its_hour_and_its_four_dimension_rows_in_one_statement_each(make_ticket):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    moment = _at(2026, 3, 2, 10, 15)
    first, second = make_ticket(created_at=moment), make_ticket(created_at=moment.replace(minute=40))
    for ticket in (first, second):  # the first creates the hour's rows, the second adds to them
        with CaptureQueriesContext(connection) as queries:
            ticket_fact_refresh(ticket_id=ticket.pk)
        for table in ("hourlyvolume", "hourlydimensionvolume"):
            touching = [q["sql"] for q in queries.captured_queries if f"analytics_{table}" in q["sql"]]
            assert len(touching) == 1 and "ON CONFLICT" in touching[0], (table, touching)
    rows = HourlyDimensionVolume.objects.filter(hour=_at(2026, 3, 2, 10))
    assert sorted((r.dimension, r.created) for r in rows) == [
        ("all", 2),
        ("channel", 2),
        ("contact_reason", 2),
        ("product_area", 2),
    ]


def _macro_counts() -> set[tuple]:
    return {
        (c.day, c.macro_key, c.channel, c.product_area_key, c.contact_reason_key, c.count)
        for c in MacroDailyVolume.objects.all()
        if c.count
    }


def _macro_facts() -> list[tuple]:
    return list(
        MacroApplicationFact.objects.order_by("pk").values_list(
            "application_id", "ticket_id", "macro_key", "day", "channel", "product_area_key", "contact_reason_key"
        )
    )


def test_macro_uses_follow_the_ticket_and_equal_a_rebuild(committed, make_ticket, make_user):
    agent = make_user(Role.AGENT)
    billing = product_area_create(name="Billing")
    accounts = product_area_create(name="Accounts")
    invoices = product_feature_create(area=billing, name="Invoices")
    login = product_feature_create(area=accounts, name="Login")
    refund = macro_create(name="Refund", body="Refunded.")
    note = macro_create(name="Note", body="Noted.")
    ticket = committed(make_ticket, channel="email", product_feature=invoices)
    other = committed(make_ticket, channel="web")
    today = timezone.localdate()

    committed(macro_apply, macro=refund, ticket=ticket, actor=agent)
    committed(macro_apply, macro=refund, ticket=ticket, actor=agent, send=False)  # no reply, no ticket event
    committed(macro_apply, macro=note, ticket=other, actor=agent)
    assert _macro_counts() == {
        (today, refund.pk, "email", billing.pk, 0, 2),
        (today, note.pk, "web", 0, 0, 1),
    }

    # the ticket moves to another product area: its two uses move with it
    committed(ticket_update, ticket=ticket, actor=agent, product_feature=login)
    assert _macro_counts() == {
        (today, refund.pk, "email", accounts.pk, 0, 2),
        (today, note.pk, "web", 0, 0, 1),
    }
    assert MacroDailyVolume.objects.get(product_area_key=billing.pk).count == 0

    kept_counts, kept_facts = _macro_counts(), _macro_facts()
    assert len(kept_facts) == 3
    analytics_rebuild()
    assert _macro_counts() == kept_counts
    assert _macro_facts() == kept_facts


def test_macro_refresh_is_idempotent_and_takes_out_deleted_uses(committed, make_ticket, make_user):
    agent = make_user(Role.AGENT)
    refund = macro_create(name="Refund", body="Refunded.")
    ticket = committed(make_ticket)
    committed(macro_apply, macro=refund, ticket=ticket, actor=agent)
    assert macro_facts_refresh(ticket_id=ticket.pk) == 0  # nothing to move
    assert [c.count for c in MacroDailyVolume.objects.all()] == [1]

    MacroApplication.objects.filter(ticket=ticket).delete()  # e.g. the macro was deleted (cascade)
    assert macro_facts_refresh(ticket_id=ticket.pk) == 1
    assert [c.count for c in MacroDailyVolume.objects.all()] == [0]
    assert not MacroApplicationFact.objects.exists()


def test_changes_that_no_macro_use_is_counted_under_skip_the_macro_refresh(
    committed, make_ticket, make_user, monkeypatch
):
    from supportloop.analytics import tasks

    agent = make_user(Role.AGENT)
    refreshed: list[int] = []
    monkeypatch.setattr(tasks, "macro_facts_refresh", lambda *, ticket_id: refreshed.append(ticket_id))
    ticket = committed(make_ticket, channel="email")  # its event names the channel, but a new ticket has no uses
    committed(ticket_reply, ticket=ticket, actor=agent, body="First answer.")
    committed(ticket_update, ticket=ticket, actor=agent, status="solved")
    assert refreshed == []
    area = product_area_create(name="Billing")
    committed(ticket_update, ticket=ticket, actor=agent, product_feature=product_feature_create(area=area, name="X"))
    assert refreshed == [ticket.pk]


def _requester_rows() -> set[tuple]:
    return set(RequesterLastTicket.objects.values_list("dimension", "key", "requester_key", "last_created_at"))


def test_requesters_last_tickets_follow_the_tickets_and_equal_a_rebuild(
    committed, make_ticket, make_contact, make_user
):
    agent = make_user(Role.AGENT)
    ann, bob = make_contact("Ann"), make_contact("Bob")
    billing = product_area_create(name="Billing")
    invoices = product_feature_create(area=billing, name="Invoices")
    first = committed(make_ticket, requester=ann, channel="email")
    second = committed(make_ticket, requester=ann, channel="web", product_feature=invoices)
    committed(make_ticket, requester=bob, channel="email")

    def ann_rows() -> dict[tuple[str, str], datetime]:
        return {(d, k): last for d, k, requester, last in _requester_rows() if requester == ann.pk}

    rows = ann_rows()
    assert rows[("all", "")] == second.created_at
    assert rows[("channel", "email")] == first.created_at and rows[("channel", "web")] == second.created_at
    assert rows[("product_area", str(billing.pk))] == second.created_at
    assert rows[("product_area", "0")] == first.created_at

    # Ann's second ticket leaves Billing: she has no ticket there any more, and her last one without an area is it
    committed(ticket_update, ticket=second, actor=agent, product_feature=None)
    rows = ann_rows()
    assert ("product_area", str(billing.pk)) not in rows
    assert rows[("product_area", "0")] == second.created_at

    # Her first ticket is dated back a day (an import fix): her last email ticket moves with it
    Ticket.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(days=1))
    ticket_fact_refresh(ticket_id=first.pk)
    assert ann_rows()[("channel", "email")] == first.created_at - timedelta(days=1)

    kept = _requester_rows()
    assert len(kept) == 9  # Ann: all, 2 channels, 1 area, 1 reason; Bob: all, 1 channel, 1 area, 1 reason
    analytics_rebuild()
    assert _requester_rows() == kept
    ticket_fact_refresh(ticket_id=second.pk)  # idempotent
    assert _requester_rows() == kept


def _survey_counts() -> set[tuple]:
    return set(
        SurveyDailyVolume.objects.values_list(
            "window", "day", "kind", "dimension", "key", "count", "good", "neutral", "bad", "score_sum"
        )
    )


def test_survey_answers_are_counted_with_the_answer_and_equal_a_rebuild(committed, make_ticket, make_user):
    import re

    from django.core import mail

    from supportloop.surveys.services import survey_answer, survey_sends_deliver_due

    agent = make_user(Role.AGENT)
    billing = product_area_create(name="Billing")
    ticket = committed(make_ticket, product_feature=product_feature_create(area=billing, name="Invoices"))
    committed(ticket_update, ticket=ticket, actor=agent, status="solved")
    mail.outbox.clear()
    survey_sends_deliver_due(now=timezone.now() + timedelta(hours=2))
    links = {int(s): t for t, s in re.findall(r"/surveys/r/([A-Za-z0-9_-]+)/\?s=(\d+)", mail.outbox[0].body)}

    committed(survey_answer, raw=links[1], score=1)
    today = timezone.localdate()
    by_area = SurveyDailyVolume.objects.get(window="rated", dimension="product_area", key=billing.pk)
    assert (by_area.day, by_area.kind, by_area.count, by_area.good, by_area.bad, by_area.score_sum) == (
        today,
        "csat",
        1,
        1,
        0,
        1,
    )
    assert SurveyDailyVolume.objects.filter(window="solved").count() == 6  # all + five breakdowns

    committed(survey_answer, raw=links[1], score=0, comment="It came back")  # the answer changed: moved, not added
    counts = {(w, d): (c, g, b, s) for w, _day, _k, d, _key, c, g, _n, b, s in _survey_counts()}
    assert counts[("rated", "all")] == counts[("solved", "all")] == (1, 0, 1, 0)

    kept = _survey_counts()
    analytics_rebuild()
    assert _survey_counts() == kept
