"""The demo seed gives the feedback pages something meaningful on first open."""

from __future__ import annotations

from django.core import mail
from django.core.management import call_command

from supportloop.customers.models import ContactEmail
from supportloop.feedback import selectors
from supportloop.feedback.models import BugReport, EngineeringLink, Evidence, FeedbackItem


def test_seed_hook_builds_a_meaningful_ranking(db):
    call_command("seed", seed=7, tickets=300, admin_password="pw-123456-x", verbosity=0)
    items = FeedbackItem.objects.all()
    assert 35 <= items.count() <= 45
    statuses = set(items.values_list("status", flat=True))
    assert {"new", "under_review", "planned", "in_progress", "shipped", "declined", "merged"} <= statuses
    merged = items.get(status="merged")
    assert merged.merged_into.title == "Two-way Google Calendar sync"
    assert BugReport.objects.count() == 6
    assert all(b.steps and b.expected and b.actual and b.version for b in BugReport.objects.all())
    assert EngineeringLink.objects.count() == 4
    assert Evidence.objects.filter(ticket__isnull=True).exclude(source="").exists()
    ranking = selectors.feedback_ranking(sort="unique_contacts", limit=100)
    top, bottom = ranking[0], ranking[-1]
    assert top["unique_contacts"] >= 8 and top["unique_contacts"] > bottom["unique_contacts"]
    assert top["mrr"] > 0 and sum(top["weekly"]) > 0
    # Rollups agree with the live figures.
    live = selectors.feedback_item_stats(item=FeedbackItem.objects.get(pk=top["id"]))
    assert (live["mentions"], live["unique_contacts"], live["mrr"]) == (
        top["mentions"],
        top["unique_contacts"],
        top["mrr"],
    )
    assert selectors.roadmap(public=True)["shipped"]
    customers = set(ContactEmail.objects.values_list("email", flat=True))
    assert customers
    assert [m.to for m in mail.outbox if customers & set(m.to)] == []  # seeding never mails customers
