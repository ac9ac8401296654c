"""Counting arithmetic on hand-built cases: mentions, unique contacts/companies, MRR, plans, weeks, growth, score."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from supportloop.core.errors import ValidationFailed
from supportloop.customers.services import company_update
from supportloop.feedback import selectors
from supportloop.feedback.models import ItemStats
from supportloop.feedback.rollups import stats_rebuild_all
from supportloop.feedback.services import evidence_add, evidence_remove


@pytest.fixture
def world(db, company, contact, ticket_for, item, agent):
    """Two companies that pay the SAME MRR (a SUM(DISTINCT mrr) bug would show), one cheaper, one free-mail contact.

    Acme (pro, 1000): Ann, Bob. Globex (enterprise, 1000): Cho. Initech (starter, 250): Dee. No company: Eve.
    """
    acme, globex, initech = (
        company("Acme", "pro", 1000),
        company("Globex", "enterprise", 1000),
        company("Initech", "starter", 250),
    )
    people = {
        "ann": contact("Ann", acme),
        "bob": contact("Bob", acme),
        "cho": contact("Cho", globex),
        "dee": contact("Dee", initech),
        "eve": contact("Eve", None, email="eve@gmail.com"),
    }
    tickets = {k: ticket_for(c) for k, c in people.items()}
    return {
        "acme": acme,
        "globex": globex,
        "initech": initech,
        "people": people,
        "tickets": tickets,
        "item": item,
        "agent": agent,
    }


def _row(item_id, **filters):
    rows = [r for r in selectors.feedback_ranking(limit=500, **filters) if r["id"] == item_id]
    return rows[0] if rows else None


def test_unique_counts_and_mrr_of_distinct_companies(world):
    p, t, agent = world["people"], world["tickets"], world["agent"]
    export = world["item"]()
    now = timezone.now()
    # Ann twice (ticket + sales call), Bob once, Cho once, Eve once.
    evidence_add(item=export, actor=agent, ticket=t["ann"], heard_at=now)
    evidence_add(item=export, actor=agent, source="Sales call", contact=p["ann"], heard_at=now)
    evidence_add(item=export, actor=agent, ticket=t["bob"], heard_at=now)
    evidence_add(item=export, actor=agent, ticket=t["cho"], importance="blocker", heard_at=now)
    evidence_add(item=export, actor=agent, ticket=t["eve"], heard_at=now)
    # By hand: mentions 5; contacts {Ann, Bob, Cho, Eve} = 4; companies {Acme, Globex} = 2;
    # MRR = Acme 1000 + Globex 1000 = 2000 (SUM DISTINCT would say 1000, summing rows 4000);
    # blocker contacts = {Cho} = 1.
    stats = selectors.feedback_item_stats(item=export)
    assert (stats["mentions"], stats["unique_contacts"], stats["unique_companies"]) == (5, 4, 2)
    assert stats["mrr"] == Decimal("2000.00")
    assert stats["blocker_contacts"] == 1
    # By plan (current plan): pro = Ann, Bob (2 contacts, 3 mentions, 1 company, 1000);
    # enterprise = Cho (1, 1, 1, 1000); none = Eve (1, 1, 0, 0).
    assert stats["by_plan"] == {
        "pro": {"contacts": 2, "mentions": 3, "companies": 1, "mrr": Decimal("1000.00")},
        "enterprise": {"contacts": 1, "mentions": 1, "companies": 1, "mrr": Decimal("1000.00")},
        "none": {"contacts": 1, "mentions": 1, "companies": 0, "mrr": Decimal("0.00")},
    }
    row = _row(export.pk)
    for key in ("mentions", "unique_contacts", "unique_companies", "blocker_contacts", "mrr", "weekly", "growth"):
        assert row[key] == stats[key], key
    # Score with default weights (1, 2, 1, 3, 0.5): 1*4 + 2*2 + 1*2000/1000 + 3*1 + 0.5*(5 - 0) = 15.5
    assert row["score"] == stats["score"] == 15.5


def test_ranking_uses_current_mrr_and_evidence_keeps_the_snapshot(world):
    t, agent = world["tickets"], world["agent"]
    export = world["item"]()
    ev = evidence_add(item=export, actor=agent, ticket=t["ann"])
    evidence_add(item=export, actor=agent, ticket=t["dee"])
    # By hand: Acme 1000 + Initech 250 = 1250.
    assert _row(export.pk)["mrr"] == Decimal("1250.00")
    company_update(company=world["acme"], mrr=1500)
    # Acme now pays 1500: 1500 + 250 = 1750; the evidence still says what Acme paid when Ann asked.
    assert _row(export.pk)["mrr"] == Decimal("1750.00")
    assert ItemStats.objects.get(item=export).mrr == Decimal("1750.00")
    ev.refresh_from_db()
    assert (ev.company_plan, ev.company_mrr) == ("pro", Decimal("1000.00"))


def test_weekly_counts_growth_first_and_last_heard(world):
    p, agent = world["people"], world["agent"]
    export = world["item"]()
    now = timezone.now()
    # Heard 0, 0, 7, 14, 35, 42 and 100 days ago. Weeks are Monday-based; index 11 is this week.
    days = [0, 0, 7, 14, 35, 42, 100]
    for n, d in enumerate(days):
        evidence_add(item=export, actor=agent, source=f"call {n}", contact=p["ann"], heard_at=now - timedelta(days=d))
    stats = selectors.feedback_item_stats(item=export)
    expected = [0] * 12
    this_monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    for d in days:
        day = timezone.localtime(now - timedelta(days=d)).date()
        monday = day - timedelta(days=day.weekday())
        index = 11 - (this_monday - monday).days // 7
        if 0 <= index < 12:
            expected[index] += 1
    assert stats["weekly"] == expected
    # 100 days ago is outside the 12 weeks; 0,0,7,14 fall in the last 4 weeks, 35 and 42 in the 4 before.
    assert sum(stats["weekly"]) == 6
    assert (stats["recent_4w"], stats["previous_4w"], stats["growth"]) == (4, 2, 2)
    assert stats["growth_pct"] == 100.0
    assert stats["first_heard"] == now - timedelta(days=100)
    assert stats["last_heard"] == now
    row = _row(export.pk)
    assert row["weekly"] == expected and row["growth"] == 2 and row["first_heard"] == now - timedelta(days=100)


def test_period_and_plan_filters_count_only_matching_evidence(world):
    t, agent = world["tickets"], world["agent"]
    export = world["item"]()
    now = timezone.now()
    evidence_add(item=export, actor=agent, ticket=t["ann"], heard_at=now - timedelta(days=40))
    evidence_add(item=export, actor=agent, ticket=t["bob"], heard_at=now - timedelta(days=2))
    evidence_add(item=export, actor=agent, ticket=t["cho"], heard_at=now - timedelta(days=1))
    # Last 10 days: Bob (Acme) and Cho (Globex): 2 contacts, 2 companies, 1000 + 1000.
    row = _row(export.pk, since=now - timedelta(days=10))
    assert (row["mentions"], row["unique_contacts"], row["unique_companies"], row["mrr"]) == (
        2,
        2,
        2,
        Decimal("2000.00"),
    )
    # Pro plan only: Ann and Bob, one company (Acme 1000).
    row = _row(export.pk, plan="pro")
    assert (row["mentions"], row["unique_contacts"], row["unique_companies"], row["mrr"]) == (
        2,
        2,
        1,
        Decimal("1000.00"),
    )
    # Enterprise before 10 days ago: nothing, so the item is not in that ranking.
    assert _row(export.pk, plan="enterprise", until=now - timedelta(days=10)) is None
    assert selectors.feedback_ranking_count(plan="enterprise", until=now - timedelta(days=10)) == 0
    assert selectors.feedback_ranking_count(plan="pro") == 1


def test_sorting_by_figures_and_filters_by_kind_area_status(world, item):
    t, agent = world["tickets"], world["agent"]
    many_people = world["item"]("Dark mode")
    big_money = item("SSO with Okta", kind="improvement")
    for key in ("ann", "bob", "eve"):
        evidence_add(item=many_people, actor=agent, ticket=t[key])
    evidence_add(item=big_money, actor=agent, ticket=t["cho"])
    evidence_add(item=big_money, actor=agent, ticket=t["dee"])
    # many_people: 3 contacts, 1 company (Acme 1000). big_money: 2 contacts, 2 companies (1000 + 250 = 1250).
    ids = [r["id"] for r in selectors.feedback_ranking(sort="unique_contacts")]
    assert ids == [many_people.pk, big_money.pk]
    ids = [r["id"] for r in selectors.feedback_ranking(sort="mrr")]
    assert ids == [big_money.pk, many_people.pk]
    ids = [r["id"] for r in selectors.feedback_ranking(sort="mrr", order="asc")]
    assert ids == [many_people.pk, big_money.pk]
    assert [r["id"] for r in selectors.feedback_ranking(kind="improvement")] == [big_money.pk]
    assert [r["id"] for r in selectors.feedback_ranking(status="planned")] == []
    assert len(selectors.feedback_ranking(product_area=many_people.product_area_id)) == 2


def test_removing_evidence_and_deleting_items_keeps_counts_exact(world, pm):
    t, p, agent = world["tickets"], world["people"], world["agent"]
    export = world["item"]()
    first = evidence_add(item=export, actor=agent, ticket=t["ann"])
    second = evidence_add(item=export, actor=agent, source="Survey", contact=p["ann"])
    evidence_add(item=export, actor=agent, ticket=t["cho"])
    # Ann twice + Cho: 3 mentions, 2 contacts, 2000.
    assert (_row(export.pk)["mentions"], _row(export.pk)["unique_contacts"]) == (3, 2)
    evidence_remove(evidence=second, actor=agent)
    # Ann still has her ticket: 2 mentions, 2 contacts, Acme + Globex = 2000.
    row = _row(export.pk)
    assert (row["mentions"], row["unique_contacts"], row["mrr"]) == (2, 2, Decimal("2000.00"))
    evidence_remove(evidence=first, actor=agent)
    row = _row(export.pk)
    assert (row["mentions"], row["unique_contacts"], row["unique_companies"], row["mrr"]) == (
        1,
        1,
        1,
        Decimal("1000.00"),
    )


def test_rebuild_all_gives_the_same_rollups(world):
    t, agent = world["tickets"], world["agent"]
    export = world["item"]()
    for key in ("ann", "bob", "cho"):
        evidence_add(item=export, actor=agent, ticket=t[key])
    before = _row(export.pk)
    ItemStats.objects.all().update(mentions=0, unique_contacts=0, mrr=0)
    assert stats_rebuild_all() == 1
    assert _row(export.pk) == before


def test_ranking_query_count_is_constant(world, item, django_assert_max_num_queries):
    t, agent = world["tickets"], world["agent"]
    for n in range(6):
        it = item(f"Item {n}")
        evidence_add(item=it, actor=agent, ticket=t["ann"])
    selectors.feedback_ranking()  # first call sets the MRR watermark
    # settings row, MRR watermark probe, trend staleness probe, ranking, weekly counts of the page
    with django_assert_max_num_queries(5):
        rows = selectors.feedback_ranking()
    assert len(rows) == 6


def test_trend_rollup_is_refreshed_when_a_new_week_starts(world):
    from datetime import date

    p, agent = world["people"], world["agent"]
    export = world["item"]()
    now = timezone.now()
    for d in (0, 1, 40):
        evidence_add(item=export, actor=agent, source="call", contact=p["ann"], heard_at=now - timedelta(days=d))
    # A row computed in an old week holds an old trend; the ranking recomputes it for this week.
    ItemStats.objects.filter(item=export).update(recent_4w=99, previous_4w=99, trend_week=date(2000, 1, 3))
    row = _row(export.pk)
    # By hand: 0 and 1 days ago fall in the last 4 weeks (2); 40 days ago in the 4 before (1).
    assert (row["recent_4w"], row["previous_4w"], row["growth"]) == (2, 1, 1)
    assert ItemStats.objects.get(item=export).trend_week == timezone.localdate() - timedelta(
        days=timezone.localdate().weekday()
    )


def test_period_filter_accepts_dates(world):
    t, agent = world["tickets"], world["agent"]
    export = world["item"]()
    now = timezone.now()
    evidence_add(item=export, actor=agent, ticket=t["ann"], heard_at=now - timedelta(days=20))
    evidence_add(item=export, actor=agent, ticket=t["bob"], heard_at=now - timedelta(days=2))
    # A date means midnight of that day in the workspace time zone: only Bob (2 days ago) is after 7 days ago.
    row = _row(export.pk, since=timezone.localdate() - timedelta(days=7))
    assert (row["mentions"], row["unique_contacts"]) == (1, 1)


def test_area_filter_by_object_id_or_slug(world):
    export = world["item"]()
    area = export.product_area
    for value in (area, area.pk, str(area.pk), area.slug):
        assert [r["id"] for r in selectors.feedback_ranking(product_area=value)] == [export.pk]
    with pytest.raises(ValidationFailed) as exc:
        selectors.feedback_ranking(product_area="no-such-area")
    assert "product_area" in exc.value.errors


def test_deleting_a_company_or_contact_keeps_the_rollups_exact(world):
    p, agent = world["people"], world["agent"]
    export = world["item"]()
    for key in ("ann", "cho"):
        evidence_add(item=export, actor=agent, source="Call", contact=p[key])
    # Ann (Acme 1000) and Cho (Globex 1000): 2 companies, 2000.
    assert (_row(export.pk)["unique_companies"], _row(export.pk)["mrr"]) == (2, Decimal("2000.00"))
    world["globex"].delete()
    # Globex is gone: Cho still counts as a contact, but no longer as a company or revenue.
    row = _row(export.pk)
    assert (row["unique_contacts"], row["unique_companies"], row["mrr"]) == (2, 1, Decimal("1000.00"))
    p["ann"].tickets.all().delete()
    p["ann"].delete()
    row = _row(export.pk)
    assert (row["mentions"], row["unique_contacts"]) == (2, 1)
    assert row == {
        **row,
        **{
            k: v
            for k, v in selectors.feedback_item_stats(item=export).items()
            if k in ("mentions", "unique_contacts", "unique_companies", "mrr")
        },
    }
