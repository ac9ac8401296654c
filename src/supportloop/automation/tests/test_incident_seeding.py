"""`supportloop seed` leaves one open incident on CSV exports with linked tickets: some linked by hand, and the
new tickets the seeding opens linked by the listener on arrival."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from supportloop.automation.models import Incident, IncidentTicket
from supportloop.automation.seeding_incidents import NEW_TICKETS, TITLE


@pytest.mark.django_db  # not transactional, as test_sla_seeding.py explains
def test_the_demo_has_an_open_incident_with_linked_tickets(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed", seed=3, tickets=80, admin_password="pw-demo-1", verbosity=0)
    incident = Incident.objects.get(title=TITLE)
    assert incident.status == "declared" and incident.product_area.name == "Reports"
    assert incident.declared_by.role == "lead" and incident.macro.is_active
    matched = IncidentTicket.objects.filter(incident=incident, source="matched")
    assert {s for s, _b in NEW_TICKETS} <= set(matched.values_list("ticket__subject", flat=True))
    assert IncidentTicket.objects.filter(incident=incident).count() >= len(NEW_TICKETS)
