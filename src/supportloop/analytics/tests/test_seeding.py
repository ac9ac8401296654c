"""`supportloop seed` leaves every dashboard with data on first open, a TV link, and the lead mail in the outbox."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command

from supportloop.analytics.dashboards import dashboard_report, period_days
from supportloop.analytics.models import TicketFact, TvLink
from supportloop.tickets.models import Ticket


@pytest.mark.django_db
def test_the_demo_fills_every_dashboard(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed", seed=3, tickets=150, admin_password="pw-demo-1", verbosity=0)
    assert TicketFact.objects.count() == Ticket.objects.count()
    start, end = period_days(days=30)
    for name, key in (
        ("volume", "by_channel"),
        ("times", "summary"),
        ("satisfaction", "feedback_wall"),
        ("macros", "top"),
        ("tag_quality", "by_agent"),
    ):
        report = dashboard_report(dashboard=name, start=start, end=end, window="rated")
        assert report.table(key).rows, name
    assert TvLink.objects.filter(revoked_at__isnull=True).exists()
    assert [m for m in mail.outbox if m.subject.startswith("Support headline figures")]
