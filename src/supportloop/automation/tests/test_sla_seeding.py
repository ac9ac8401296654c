"""`supportloop seed` builds the demo's calendars and policies and every seeded ticket's SLA state from its
history, with breaches dated at their due times, and leaves the ticket-event listeners in place afterwards."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import F

from supportloop.automation.models import BusinessCalendar, SlaPolicy, TicketSla, TicketSlaPause
from supportloop.automation.services.sla import sla_on_ticket_event
from supportloop.core.models import Event
from supportloop.tickets import hooks
from supportloop.tickets.models import Ticket


# Not a transactional test: a flush would remove the pick-lists the migrations seed, and reloading them with
# serialized_rollback collides with content types another transactional test recreated. Capturing the
# on-commit callbacks runs the listeners' after-commit work all the same.
@pytest.mark.django_db
def test_the_demo_has_sla_policies_pauses_and_breaches(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed", seed=3, tickets=80, admin_password="pw-demo-1", verbosity=0)
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Enterprise", "Standard"]
    assert BusinessCalendar.objects.get(is_default=True).holidays_country == "DE"
    assert BusinessCalendar.objects.get(name="APAC office hours").teams.filter(slug="apac").exists()
    # 80 seeded tickets plus those the other seeders open (mail, feedback); every one has its clock.
    assert TicketSla.objects.count() == Ticket.objects.count() >= 80
    breached = TicketSla.objects.filter(first_response_breached_at__isnull=False)
    assert breached.exists()
    assert not breached.exclude(first_response_breached_at=F("first_response_due_at")).exists()
    assert (
        TicketSlaPause.objects.filter(ended_at__isnull=True).count()
        == TicketSla.objects.filter(paused_since__isnull=False).count()
    )
    # breaches found by the seeding's check are on the audit trail
    assert Event.objects.filter(verb="ticket.sla_breached").exists()
    assert sla_on_ticket_event in hooks.ticket_event_listeners
