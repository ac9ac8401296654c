"""Ranking since a Monday ("last N weeks") from the ItemWeek "since" figures gives the recount's figures, after
every kind of change, without reading the evidence."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supportloop.customers.services import company_update
from supportloop.feedback import selectors
from supportloop.feedback.models import Evidence, ItemStats, ItemWeek
from supportloop.feedback.rollups import week_bounds_dt, week_starts
from supportloop.feedback.selectors.ranking import week_aligned
from supportloop.feedback.services import evidence_add, evidence_remove, feedback_item_merge
from supportloop.feedback.tests import test_filtered_ranking
from supportloop.feedback.tests.test_filtered_ranking import FIGURES, hear, recount

world = test_filtered_ranking.world  # the same fixture: pytest finds fixtures among the module's attributes


def mondays() -> list:
    """Window starts the ranking page offers (this week, last 4/12/26/52 weeks) and one before all evidence."""
    weeks = week_starts(weeks=60)
    return [week_bounds_dt(weeks[-n]) for n in (1, 2, 4, 12, 26, 52, 60)]


def assert_windows_match_recount(items) -> None:
    for since in mondays():
        assert week_aligned(since) is not None
        ranked = {r["id"]: {k: r[k] for k in FIGURES} for r in selectors.feedback_ranking(limit=500, since=since)}
        expected = {i.pk: recount(i.pk, since=since) for i in items}
        assert ranked == {pk: figures for pk, figures in expected.items() if figures is not None}, since
        assert selectors.feedback_ranking_count(since=since) == len(ranked)


@pytest.fixture
def busy(world):
    """Three items heard over a year by everyone in the world fixture, some as blockers, some without a contact."""
    rng = random.Random(7)
    items = [world["item"](f"Item {n}") for n in range(3)]
    for _ in range(40):
        who = rng.choice(["ann", "bob", "cho", "dee", "eve"])
        hear(
            world,
            rng.choice(items),
            who,
            days_ago=rng.uniform(0, 380) ** rng.choice([1, 0.5]),
            importance=rng.choice(["important", "important", "blocker"]),
        )
    for _ in range(4):
        evidence_add(
            item=rng.choice(items),
            actor=world["agent"],
            source="Survey",
            heard_at=timezone.now() - timedelta(days=rng.uniform(0, 100)),
        )
    return items


def test_week_windows_match_the_recount(busy):
    assert_windows_match_recount(busy)


def test_week_windows_read_the_week_rollups_not_the_evidence(busy):
    since = mondays()[3]
    selectors.feedback_ranking(since=since)  # settle any refresh first
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.feedback_ranking(since=since)
    assert rows and not [q["sql"] for q in queries if Evidence._meta.db_table in q["sql"]]
    # A tampered rollup shows through: the rollup answers.
    first = rows[0]
    ItemWeek.objects.filter(item_id=first["id"]).update(since_mentions=999)
    assert next(r for r in selectors.feedback_ranking(since=since) if r["id"] == first["id"])["mentions"] == 999


def test_week_windows_follow_merges_removals_and_mrr_changes(busy, world, pm):
    a, b, c = busy
    feedback_item_merge(source=b, target=a, actor=pm)
    assert ItemWeek.objects.filter(item=b).count() == 0
    assert_windows_match_recount([a, c])
    evidence_remove(evidence=Evidence.objects.filter(item=a).order_by("-created_at").first(), actor=world["agent"])
    assert_windows_match_recount([a, c])
    company_update(company=world["acme"], mrr=4321)
    assert_windows_match_recount([a, c])
    # By hand, for one window: Acme's current MRR counts once however many Acme people were heard.
    since = mondays()[-1]
    row = next(r for r in selectors.feedback_ranking(since=since) if r["id"] == a.pk)
    companies = set(Evidence.objects.filter(item=a).values_list("company__name", flat=True)) - {None}
    mrr = {"Acme": Decimal("4321"), "Globex": Decimal("1000"), "Initech": Decimal("250")}
    assert row["mrr"] == sum(mrr[n] for n in companies)


def test_missing_week_figures_are_computed_before_a_window_ranking(busy):
    expected = {i.pk: recount(i.pk, since=mondays()[2]) for i in busy}
    ItemWeek.objects.update(
        since_mentions=0, since_contacts=0, since_companies=0, since_blocker_contacts=0, since_mrr=0, first_at=None
    )
    ItemStats.objects.update(windows_computed=False)  # as after the migration
    ranked = {r["id"]: {k: r[k] for k in FIGURES} for r in selectors.feedback_ranking(limit=500, since=mondays()[2])}
    assert ranked == {pk: f for pk, f in expected.items() if f is not None}
    assert not ItemStats.objects.filter(windows_computed=False).exists()


def test_other_periods_are_still_answered_live_and_agree(busy):
    monday = mondays()[3]
    for since in (monday + timedelta(hours=1), monday - timedelta(days=3)):
        assert week_aligned(since) is None
        ranked = {r["id"]: {k: r[k] for k in FIGURES} for r in selectors.feedback_ranking(limit=500, since=since)}
        assert ranked == {i.pk: recount(i.pk, since=since) for i in busy if recount(i.pk, since=since)}
        assert selectors.feedback_ranking_count(since=since) == len(ranked)


@pytest.mark.parametrize(
    "sort",
    ["score", "mentions", "+unique_contacts", "mrr", "growth", "first_heard", "last_heard", "created_at", "title"],
)
def test_week_window_pages_sort_like_the_live_aggregation(busy, world, sort):
    for n in range(3):  # more items, so a page is a real slice
        hear(world, world["item"](f"Extra {n}"), "bob", days_ago=n * 9 + 1)
    since = mondays()[3]
    live = selectors.ranking._python_sort(selectors.ranking._live_rows(since=since), sort, None)
    for offset in (0, 2):
        page = selectors.feedback_ranking(since=since, sort=sort, limit=2, offset=offset)
        assert [r["id"] for r in page] == [r["id"] for r in live[offset : offset + 2]]
        assert [{k: r[k] for k in FIGURES} for r in page] == [
            {k: r[k] for k in FIGURES} for r in live[offset : offset + 2]
        ]
