"""Reads of the mail app shared by the admin and the API."""
from __future__ import annotations

from django.db.models import QuerySet

from supportloop.mail.models import InboundMail, Mailbox, Quarantine


def quarantine_list(*, reason: str | None = None, released: bool | None = None) -> QuerySet[Quarantine]:
    """Quarantined mail, newest first, without the raw bytes (they can be megabytes each)."""
    qs = Quarantine.objects.defer("raw").select_related("mailbox")
    if reason:
        qs = qs.filter(reason=reason)
    if released is not None:
        qs = qs.filter(released_at__isnull=not released)
    return qs.order_by("-created_at", "-id")


def quarantine_get(*, quarantine_id: int) -> Quarantine | None:
    """One quarantined message with its bytes (or, for oversize mail, its headers and stored file)."""
    return Quarantine.objects.filter(pk=quarantine_id).first()


def mailbox_list() -> QuerySet[Mailbox]:
    return Mailbox.objects.order_by("name", "id")


def inbound_for_ticket(*, ticket_id: int) -> QuerySet[InboundMail]:
    return InboundMail.objects.filter(ticket_id=ticket_id).order_by("received_at", "id")
