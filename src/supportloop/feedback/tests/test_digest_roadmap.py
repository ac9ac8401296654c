"""Weekly digest (selector and mail to product managers) and the roadmap board."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.feedback import selectors
from supportloop.feedback.models import FeedbackItem
from supportloop.feedback.services import evidence_add, feedback_item_set_status
from supportloop.feedback.services.evidence import bug_report_file
from supportloop.feedback.tasks import send_weekly_digest
from supportloop.feedback.tests.test_bugs import GOOD


def test_digest_of_last_week(
    db, item, pm, agent, company, contact, ticket_for, feature, make_user, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    last_monday = today - timedelta(days=today.weekday() + 7)
    mid_last_week = timezone.make_aware(
        timezone.datetime.combine(last_monday + timedelta(days=2), timezone.datetime.min.time())
    )
    acme = company("Acme", "pro", 100)
    ann, bob = contact("Ann", acme), contact("Bob", acme)
    new_item = item("Dark mode", created_at=mid_last_week)
    old_item = item("Excel export", created_at=mid_last_week - timedelta(days=60))
    # Old item: 1 mention 6 weeks before last week, 3 in last week: growth within 4 weeks = 3 - 1 = 2.
    evidence_add(item=old_item, actor=agent, source="call", contact=ann, heard_at=mid_last_week - timedelta(weeks=5))
    for n in range(3):
        evidence_add(item=old_item, actor=agent, source=f"call {n}", contact=bob, heard_at=mid_last_week)
    bug = bug_report_file(
        actor=agent, title="Crash on save", product_feature=feature, **{**GOOD, "severity": "critical"}
    )
    FeedbackItem.objects.filter(pk=bug.pk).update(created_at=mid_last_week)
    shipped = item("CSV import", created_at=mid_last_week - timedelta(days=30))
    evidence_add(item=shipped, actor=agent, ticket=ticket_for(ann))
    with django_capture_on_commit_callbacks(execute=True):
        feedback_item_set_status(item=shipped, status="shipped", actor=pm, release_note="Import CSV now.")
    FeedbackItem.objects.filter(pk=shipped.pk).update(shipped_at=mid_last_week)
    mail.outbox.clear()

    digest = selectors.weekly_digest()
    assert digest["week_start"] == last_monday
    area = feature.area.name
    # New last week: Dark mode and the bug (both no contacts yet; by id). Excel export and CSV import are older.
    assert [r["title"] for r in digest["new_by_area"][area]] == ["Dark mode", "Crash on save"]
    growing = digest["growing_by_area"][area]
    assert growing[0]["id"] == old_item.pk and (growing[0]["recent_4w"], growing[0]["previous_4w"]) == (3, 1)
    assert [r["title"] for r in digest["bugs_by_severity"]["critical"]] == ["Crash on save"]
    assert digest["shipped"] == [{"id": shipped.pk, "title": "CSV import", "kind": "feature_request", "told": 1}]
    assert digest["customers_told"] == 1
    assert digest["totals"]["mentions"] == 3 and digest["totals"]["contacts_heard"] == 1
    assert digest["new_by_area"][area][0]["id"] == new_item.pk

    make_user(Role.PRODUCT, username="pm2")
    make_user(Role.AGENT, username="agent9")
    assert send_weekly_digest.call(week_start=last_monday.isoformat()) == 2  # pm fixture and pm2, not agents
    assert sorted(m.to[0] for m in mail.outbox) == sorted([pm.email, "pm2@staff.example"])
    assert "CSV import — 1 customers told" in mail.outbox[0].body


def test_roadmap_columns_and_recent_shipped(db, item, pm):
    planned, doing, shipped, old = item("A"), item("B"), item("C"), item("D")
    feedback_item_set_status(item=planned, status="planned", actor=pm)
    feedback_item_set_status(item=doing, status="in_progress", actor=pm)
    feedback_item_set_status(item=shipped, status="shipped", actor=pm, notify=False)
    feedback_item_set_status(item=old, status="shipped", actor=pm, notify=False)
    FeedbackItem.objects.filter(pk=old.pk).update(shipped_at=timezone.now() - timedelta(days=200))
    board = selectors.roadmap()
    assert [[r["title"] for r in board[k]] for k in ("planned", "in_progress", "shipped")] == [["A"], ["B"], ["C"]]
    assert selectors.roadmap(public=True) == {"planned": [], "in_progress": [], "shipped": []}


def test_digest_and_rebuild_commands(db, pm, item, agent, contact):
    from io import StringIO

    from django.core.management import call_command

    from supportloop.feedback.models import ItemStats

    out = StringIO()
    call_command("feedback_digest", stdout=out)
    assert "1 product manager" in out.getvalue() and mail.outbox[0].to == [pm.email]
    export = item("Export")
    evidence_add(item=export, actor=agent, source="call", contact=contact("Ann"))
    ItemStats.objects.filter(item=export).update(mentions=0)
    call_command("feedback_rebuild_stats", stdout=StringIO())
    assert ItemStats.objects.get(item=export).mentions == 1
