"""Tag quality per agent: share of tickets without area or reason, or under a catch-all, over a period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.analytics.rollups import analytics_rebuild
from supportloop.analytics.selectors import tag_quality_report
from supportloop.core.errors import ValidationFailed
from supportloop.tickets.services import (
    contact_reason_create,
    product_area_create,
    product_feature_create,
)


def test_shares_per_agent_over_the_period(make_user, make_ticket):
    ann, bob = make_user(Role.AGENT, first_name="Ann", last_name="Lee"), make_user(Role.AGENT, username="bob")
    feature = product_feature_create(area=product_area_create(name="Billing"), name="Invoices")
    howto = contact_reason_create(name="How-to")
    other = contact_reason_create(name="Other", slug="other")  # catch-all by name
    vague = contact_reason_create(name="Misc stuff", slug="misc-stuff")
    vague.is_catch_all = True
    vague.save()
    now = timezone.now()

    def t(assignee, feature_=None, reason=None, days_ago=1):
        return make_ticket(assignee=assignee, product_feature=feature_, contact_reason=reason, days_ago=days_ago)

    # Ann: 4 tickets in the period.
    t(ann, feature, howto)  # well tagged
    t(ann, None, howto)  # no area
    t(ann, feature, other)  # catch-all ("other")
    t(ann, None, None)  # no area, no reason (counted once as poorly tagged)
    t(ann, None, None, days_ago=40)  # outside the period
    # Bob: 2 tickets: one vague (flagged catch-all), one fine.
    t(bob, feature, vague)
    t(bob, feature, howto)
    # Unassigned: 1 ticket, untagged.
    t(None)
    analytics_rebuild()  # the whole days come from the daily rollup, the part days at the edges from the tickets
    report = tag_quality_report(since=now - timedelta(days=7), until=now)
    rows = {r["agent"]: r for r in report}
    # Ann: 4 tickets; without area 2 (50%), without reason 1 (25%), catch-all 1 (25%), poorly tagged 3 (75%).
    a = rows["Ann Lee"]
    assert (a["tickets"], a["without_area"], a["without_reason"], a["catch_all"], a["poorly_tagged"]) == (4, 2, 1, 1, 3)
    assert (a["without_area_share"], a["without_reason_share"], a["catch_all_share"], a["poorly_tagged_share"]) == (
        50.0,
        25.0,
        25.0,
        75.0,
    )
    # Bob: 2 tickets, 1 catch-all: 50% poorly tagged.
    b = rows["bob"]
    assert (b["tickets"], b["catch_all"], b["poorly_tagged_share"]) == (2, 1, 50.0)
    # Unassigned: 1 of 1.
    assert rows["Unassigned"]["poorly_tagged_share"] == 100.0 and rows["Unassigned"]["agent_id"] is None
    # Worst first.
    assert [r["agent"] for r in report] == ["Unassigned", "Ann Lee", "bob"]


def test_period_must_be_ordered(db):
    now = timezone.now()
    with pytest.raises(ValidationFailed):
        tag_quality_report(since=now, until=now - timedelta(days=1))


def test_whole_days_come_from_the_rollup_and_part_days_from_the_tickets(make_user, make_ticket):
    from supportloop.analytics.models import DailyTagging

    ann = make_user(Role.AGENT, first_name="Ann", last_name="Lee")
    tz = timezone.get_default_timezone()
    today = timezone.now().astimezone(tz).replace(hour=12, minute=0, second=0, microsecond=0)
    for days_ago in (3, 2, 0):
        make_ticket(assignee=ann, created_at=today - timedelta(days=days_ago))
    analytics_rebuild()
    # A count only the rollup holds (as if a ticket had been deleted since): a whole day reads it...
    DailyTagging.objects.filter(day=(today - timedelta(days=2)).date()).update(created=5)
    whole = tag_quality_report(since=today.replace(hour=0) - timedelta(days=3), until=today.replace(hour=0))
    assert whole[0]["tickets"] == 1 + 5
    # ...a part day reads the tickets: from noon three days ago to noon today, two whole days between.
    parts = tag_quality_report(since=today - timedelta(days=3), until=today + timedelta(minutes=1))
    assert parts[0]["tickets"] == 1 + 5 + 1
    # Within one day: the tickets alone.
    assert tag_quality_report(since=today - timedelta(hours=1), until=today + timedelta(hours=1))[0]["tickets"] == 1
