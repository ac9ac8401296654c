"""Reads of incidents for the pages and the API: the list, one incident with its linked tickets, a ticket's
incidents (the ticket page's panel)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from supportloop.automation.models import Incident, IncidentTicket
from supportloop.core.lookup import object_or_404, reference_or_422
from supportloop.tickets.models import ProductArea


def incident_list(*, status: str | None = None) -> QuerySet[Incident]:
    """Incidents newest first, with their area, declarer and counts of linked and replied tickets: one query."""
    rows = Incident.objects.select_related("product_area", "declared_by", "resolved_by").annotate(
        linked_count=Count("links"), replied_count=Count("links", filter=Q(links__reply_sent_at__isnull=False))
    )
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-declared_at", "-id")


def incident_get(*, incident_id: int) -> Incident:
    return object_or_404(incident_list(), pk=incident_id)


def incident_tickets(*, incident: Incident, limit: int = 500) -> list[IncidentTicket]:
    """The incident's linked tickets with each ticket's requester: one query."""
    return list(
        IncidentTicket.objects.filter(incident=incident)
        .select_related("ticket__requester", "linked_by")
        .order_by("linked_at", "id")[:limit]
    )


def ticket_incident_links(*, ticket_id: int) -> list[IncidentTicket]:
    """The incidents one ticket is linked to (open ones first), with each incident's macro: one query."""
    return list(
        IncidentTicket.objects.filter(ticket_id=ticket_id)
        .select_related("incident__macro")
        .order_by("incident__status", "-incident__declared_at")
    )


def product_area_ref(*, area_id: int | None, field: str = "product_area_id") -> ProductArea | None:
    """The product area a request names by id (None stays None); unknown is a 422 on `field`."""
    if area_id is None:
        return None
    return reference_or_422(ProductArea.objects.all(), field, area_id)
