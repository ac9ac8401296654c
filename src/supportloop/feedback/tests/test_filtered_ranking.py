"""Plan and period filters: the per-plan rollups and the two-level live aggregation give the same figures as a
plain recount of the evidence (hand-built cases: plan filter, period filter, after a merge, after evidence
removal, after a company changes plan, a contact heard through companies on two plans)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from supportloop.customers.services import company_update, contact_update
from supportloop.feedback import selectors
from supportloop.feedback.models import Evidence, ItemPlanStats, ItemStats
from supportloop.feedback.rollups import week_bounds_dt, week_starts
from supportloop.feedback.services import evidence_add, evidence_remove, feedback_item_merge

FIGURES = (
    "mentions",
    "unique_contacts",
    "unique_companies",
    "blocker_contacts",
    "mrr",
    "first_heard",
    "last_heard",
    "recent_4w",
    "previous_4w",
)


def recount(item_id: int, *, plans=(), since=None) -> dict | None:
    """The figures recounted in Python from the evidence rows (the definition, independent of any SQL)."""
    rows = [
        e
        for e in Evidence.objects.filter(item_id=item_id).select_related("company")
        if (not plans or (e.company is not None and e.company.plan in plans))
        and (since is None or e.created_at >= since)
    ]
    if not rows:
        return None
    weeks = week_starts()
    recent_from, previous_from = week_bounds_dt(weeks[-4]), week_bounds_dt(weeks[-8])
    companies = {e.company_id: e.company.mrr for e in rows if e.company_id}
    return {
        "mentions": len(rows),
        "unique_contacts": len({e.contact_id for e in rows if e.contact_id}),
        "unique_companies": len(companies),
        "blocker_contacts": len({e.contact_id for e in rows if e.contact_id and e.importance == "blocker"}),
        "mrr": sum(companies.values(), Decimal("0")).quantize(Decimal("0.01")),
        "first_heard": min(e.created_at for e in rows),
        "last_heard": max(e.created_at for e in rows),
        "recent_4w": sum(1 for e in rows if e.created_at >= recent_from),
        "previous_4w": sum(1 for e in rows if previous_from <= e.created_at < recent_from),
    }


def ranked(item_id: int, **filters) -> dict | None:
    rows = [r for r in selectors.feedback_ranking(limit=500, **filters) if r["id"] == item_id]
    return {k: rows[0][k] for k in FIGURES} if rows else None


@pytest.fixture
def world(db, company, contact, item, agent):
    """Acme (pro, 1000): Ann, Bob. Globex (enterprise, 1000, the same MRR on purpose): Cho.
    Initech (starter, 250): Dee. No company: Eve."""
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
    return {"acme": acme, "globex": globex, "initech": initech, "p": people, "item": item, "agent": agent}


def hear(world, item, who: str, days_ago: float = 0, importance: str = "important"):
    return evidence_add(
        item=item,
        actor=world["agent"],
        source="Call",
        contact=world["p"][who],
        importance=importance,
        heard_at=timezone.now() - timedelta(days=days_ago),
    )


def test_plan_filter_reads_the_per_plan_rollups_and_matches_the_recount(world, django_assert_max_num_queries):
    export = world["item"]()
    for who, days, importance in [
        ("ann", 1, "blocker"),
        ("ann", 40, "important"),
        ("bob", 3, "important"),
        ("cho", 2, "blocker"),
        ("dee", 50, "important"),
        ("eve", 1, "blocker"),
    ]:
        hear(world, export, who, days, importance)
    # Rollup rows per current plan: pro (Ann twice, Bob), enterprise (Cho), starter (Dee); Eve has no company.
    assert dict(ItemPlanStats.objects.filter(item=export).values_list("plan", "mentions")) == {
        "pro": 3,
        "enterprise": 1,
        "starter": 1,
    }
    # By hand, pro: 3 mentions, 2 contacts, 1 company, MRR 1000, 1 blocker contact (Ann).
    row = ranked(export.pk, plan="pro")
    assert (row["mentions"], row["unique_contacts"], row["unique_companies"], row["mrr"], row["blocker_contacts"]) == (
        3,
        2,
        1,
        Decimal("1000.00"),
        1,
    )
    # pro + enterprise: 4 mentions, 3 contacts, 2 companies paying 1000 each (2000, not 1000), 2 blockers.
    both = ranked(export.pk, plan=["pro", "enterprise"])
    assert (
        both["mentions"],
        both["unique_contacts"],
        both["unique_companies"],
        both["mrr"],
        both["blocker_contacts"],
    ) == (4, 3, 2, Decimal("2000.00"), 2)
    for plans in (["pro"], ["enterprise"], ["starter"], ["pro", "enterprise"], ["pro", "starter", "enterprise"]):
        assert ranked(export.pk, plan=plans) == recount(export.pk, plans=plans), plans
    assert ranked(export.pk, plan="free") is None
    assert selectors.feedback_ranking_count(plan="free") == 0
    # The rollup path: settings, watermark, missing plan rows, stale plan trend, overlap, ranking, weekly.
    with django_assert_max_num_queries(8):
        selectors.feedback_ranking(plan=["pro", "enterprise"])
    # It is the rollup that answers (a tampered row shows through), not a recount.
    ItemPlanStats.objects.filter(item=export, plan="pro").update(mentions=99)
    assert ranked(export.pk, plan="pro")["mentions"] == 99


def test_plan_filter_follows_a_company_changing_plan_and_mrr(world):
    export = world["item"]()
    for who in ("ann", "bob", "cho"):
        hear(world, export, who, 1)
    assert ranked(export.pk, plan="pro")["unique_contacts"] == 2
    # Acme moves from pro to enterprise and now pays 3000: the filter means the company's CURRENT plan.
    company_update(company=world["acme"], plan="enterprise", mrr=3000)
    assert ranked(export.pk, plan="pro") is None
    row = ranked(export.pk, plan="enterprise")
    # By hand: Ann, Bob (Acme 3000) and Cho (Globex 1000): 3 contacts, 2 companies, 4000.
    assert (row["unique_contacts"], row["unique_companies"], row["mrr"]) == (3, 2, Decimal("4000.00"))
    assert row == recount(export.pk, plans=["enterprise"])
    assert (selectors.feedback_ranking_count(plan="pro"), selectors.feedback_ranking_count(plan="enterprise")) == (0, 1)
    # The evidence keeps the plan it was heard on.
    assert set(Evidence.objects.filter(item=export, company=world["acme"]).values_list("company_plan", flat=True)) == {
        "pro"
    }


def test_plan_filter_after_evidence_removal_and_merge(world, pm):
    a, b = world["item"]("Export to Excel"), world["item"]("Excel export")
    first = hear(world, a, "ann", 1)
    hear(world, a, "cho", 2)
    hear(world, b, "ann", 3)
    hear(world, b, "bob", 4)
    # Merging B into A: Ann asked on both, she stays one contact; pro = Ann (twice), Bob: 3 mentions, 2 contacts.
    feedback_item_merge(source=b, target=a, actor=pm)
    assert ItemPlanStats.objects.filter(item=b).count() == 0
    row = ranked(a.pk, plan="pro")
    assert (row["mentions"], row["unique_contacts"], row["unique_companies"], row["mrr"]) == (
        3,
        2,
        1,
        Decimal("1000.00"),
    )
    assert row == recount(a.pk, plans=["pro"])
    assert ranked(b.pk, plan="pro") is None
    # Removing Ann's first evidence: she still has the one moved from B.
    evidence_remove(evidence=first, actor=world["agent"])
    row = ranked(a.pk, plan=["pro", "enterprise"])
    assert (row["mentions"], row["unique_contacts"], row["unique_companies"]) == (3, 3, 2)
    assert row == recount(a.pk, plans=["pro", "enterprise"])


def test_a_contact_heard_through_companies_on_two_plans_is_counted_once(world):
    export = world["item"]()
    hear(world, export, "ann", 10)  # Ann at Acme (pro)
    contact_update(contact=world["p"]["ann"], company=world["globex"])
    hear(world, export, "ann", 1)  # Ann now at Globex (enterprise)
    assert ItemStats.objects.get(item=export).plan_overlap is True
    # Per plan she is one contact each; together still one person (the rollups cannot add up: live path).
    assert ranked(export.pk, plan="pro")["unique_contacts"] == 1
    assert ranked(export.pk, plan="enterprise")["unique_contacts"] == 1
    row = ranked(export.pk, plan=["pro", "enterprise"])
    assert (row["mentions"], row["unique_contacts"], row["unique_companies"], row["mrr"]) == (
        2,
        1,
        2,
        Decimal("2000.00"),
    )
    assert row == recount(export.pk, plans=["pro", "enterprise"])


def test_missing_or_stale_plan_rollups_are_computed_before_ranking(world):
    export = world["item"]()
    hear(world, export, "ann", 1)
    hear(world, export, "bob", 40)
    expected = recount(export.pk, plans=["pro"])
    # As after the migration or a bulk load: no rows yet.
    ItemPlanStats.objects.all().delete()
    ItemStats.objects.update(plans_computed=False)
    assert ranked(export.pk, plan="pro") == expected
    # A row computed in an old week holds an old trend.
    ItemPlanStats.objects.update(recent_4w=9, previous_4w=9, trend_week=date(2000, 1, 3))
    row = ranked(export.pk, plan="pro")
    # By hand: 1 day ago is in the last 4 weeks, 40 days ago in the 4 before.
    assert (row["recent_4w"], row["previous_4w"]) == (1, 1)
    assert row == expected


def test_period_filter_two_level_aggregation_matches_the_recount(world, item):
    export, other = world["item"](), item("Dark mode")
    # Ann twice (one blocker), Bob, Cho long ago, Eve (no company) twice, plus evidence without a contact.
    for who, days, importance in [
        ("ann", 2, "blocker"),
        ("ann", 5, "important"),
        ("bob", 6, "important"),
        ("cho", 60, "blocker"),
        ("eve", 1, "important"),
        ("eve", 3, "blocker"),
    ]:
        hear(world, export, who, days, importance)
    evidence_add(item=export, actor=world["agent"], source="Survey", heard_at=timezone.now() - timedelta(days=4))
    hear(world, other, "dee", 20)
    since = timezone.now() - timedelta(days=10)
    row = ranked(export.pk, since=since)
    # By hand (last 10 days): 6 mentions; contacts Ann, Bob, Eve = 3 (the survey has none); companies Acme = 1
    # (1000); blocker contacts Ann, Eve = 2 (Cho's blocker is older).
    assert (row["mentions"], row["unique_contacts"], row["unique_companies"], row["mrr"], row["blocker_contacts"]) == (
        6,
        3,
        1,
        Decimal("1000.00"),
        2,
    )
    assert row == recount(export.pk, since=since)
    assert ranked(other.pk, since=since) is None
    older = timezone.now() - timedelta(days=90)
    assert ranked(export.pk, since=older) == recount(export.pk, since=older)
    assert ranked(other.pk, since=older) == recount(other.pk, since=older)
    # Plan and period together: pro in the last 10 days = Ann twice, Bob.
    row = ranked(export.pk, plan="pro", since=since)
    assert (row["mentions"], row["unique_contacts"], row["blocker_contacts"]) == (3, 2, 1)
    assert row == recount(export.pk, plans=["pro"], since=since)
