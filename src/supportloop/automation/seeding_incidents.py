"""The demo's incident (the seeds' crisis plan): one open incident on CSV exports in Reports, declared by the lead,
with a few seeded tickets about exports linked by hand and two new tickets that the listener links on arrival
(created through ticket_create, as mail would), so the banner, the ticket panel and the resolve preview have
something to show."""

from __future__ import annotations

import random

from django.db.models import Q

from supportloop.accounts.models import User
from supportloop.automation.models import Incident
from supportloop.automation.services.incidents import incident_declare, incident_ticket_link
from supportloop.customers.models import Contact
from supportloop.tickets.models import ProductArea, ProductFeature, Ticket
from supportloop.tickets.services import ticket_create

TITLE = "CSV exports time out"
KEYWORDS = ["export", "csv", "导出", "экспорт"]
CUSTOMER_TEXT = (
    "Thanks for reporting this. CSV exports from Reports are timing out for some workspaces right now; our "
    "engineers are on it and we will write to you here as soon as it is fixed. Dashboards and scheduled reports "
    "are not affected."
)
LINK_BY_HAND = 4
NEW_TICKETS = [
    ("CSV export never finishes", "The export spinner runs for minutes and then says timeout. Is something down?"),
    ("Export to CSV fails", "Our weekly export to CSV failed twice this morning."),
]


def seed_incidents(*, rng: random.Random, size: int) -> None:
    declarer = User.objects.filter(role__in=["lead", "admin"], is_active=True).order_by("-role", "pk").first()
    area = ProductArea.objects.filter(name="Reports").first()
    if declarer is None or area is None or Incident.objects.filter(title=TITLE).exists():
        return  # not the demo workspace, or seeded already
    incident = incident_declare(
        actor=declarer, title=TITLE, customer_text=CUSTOMER_TEXT, product_area=area, keywords=KEYWORDS
    )
    about_exports = Q(subject__icontains="export") | Q(subject__icontains="csv")
    existing = list(
        Ticket.objects.filter(about_exports, status__in=["new", "open", "pending"]).order_by("-created_at")[
            :LINK_BY_HAND
        ]
    )
    for ticket in existing:
        incident_ticket_link(incident=incident, ticket=ticket, actor=declarer)
    feature = (
        ProductFeature.objects.filter(area=area, name="CSV export").first()
        or ProductFeature.objects.filter(area=area).first()
    )
    contacts = list(Contact.objects.filter(language="en").order_by("pk").values_list("pk", flat=True)[:200])
    if feature is None or not contacts:
        return
    # Each ticket_create commits on its own; its "created" event runs the incidents listener, which links it.
    for subject, body in NEW_TICKETS:
        requester = Contact.objects.get(pk=rng.choice(contacts))
        ticket_create(subject=subject, body=body, requester=requester, product_feature=feature, channel="email")
