"""The weekly lead mail: headline figures to each lead once per week even when run twice; the scheduler offers
the previous week from Monday's hour; the demo seeds facts, a TV link and the mail."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.test import override_settings

from supportloop.accounts.choices import Role
from supportloop.analytics.models import LeadReportDelivery
from supportloop.analytics.services import lead_report_send
from supportloop.analytics.tasks import lead_report_due
from supportloop.core.models import Event

pytestmark = pytest.mark.django_db


def test_each_lead_gets_the_week_once_even_when_run_twice(make_user, make_ticket):
    leads = [make_user(Role.LEAD), make_user(Role.LEAD)]
    make_user(Role.AGENT)
    gone = make_user(Role.LEAD)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    assert lead_report_send(week_start=date(2026, 11, 25)) == 2  # a Wednesday: the week of Monday the 23rd
    assert lead_report_send(week_start=date(2026, 11, 23)) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in leads)
    body = mail.outbox[0].body
    assert "week of 23 Nov 2026" in mail.outbox[0].subject
    for line in ("Tickets created:", "First response, median:", "CSAT", "NPS", "Backlog now:", "Top macros:"):
        assert line in body
    assert LeadReportDelivery.objects.filter(sent_at__isnull=False).count() == 2
    assert Event.objects.filter(verb="analytics.lead_report_sent").count() == 2


def test_a_failed_mail_is_tried_again_on_the_next_run(make_user, settings):
    make_user(Role.LEAD)
    settings.EMAIL_BACKEND = "supportloop.analytics.tests.test_lead_report.FailingBackend"
    assert lead_report_send(week_start=date(2026, 11, 23)) == 0
    assert LeadReportDelivery.objects.get().error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert lead_report_send(week_start=date(2026, 11, 23)) == 1
    assert lead_report_send(week_start=date(2026, 11, 23)) == 0


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


@override_settings(TIME_ZONE="UTC", SUPPORTLOOP_LEAD_REPORT_HOUR=7)
def test_the_scheduler_offers_last_week_from_monday_morning():
    assert lead_report_due(datetime(2026, 11, 30, 6, 59, tzinfo=UTC)) is None  # Monday before 07:00
    assert lead_report_due(datetime(2026, 11, 30, 7, 0, tzinfo=UTC)).startswith("2026-11-23@")
    assert lead_report_due(datetime(2026, 12, 2, 20, 0, tzinfo=UTC)).startswith("2026-11-23@")
    assert lead_report_due(datetime(2026, 12, 4, 12, 0, tzinfo=UTC)) is None  # past the three-day window
