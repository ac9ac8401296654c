"""Incidents (the crisis plan): an outage or defect a lead declares, the tickets linked to it, and the one bulk
reply that tells those customers when it is resolved (docs/automation-incidents.md).

The per-ticket `reply_sent_at` marker is what makes the bulk reply idempotent: the reply and the marker are written
in one transaction, guarded by a conditional UPDATE, so a task that runs twice or on two workers replies once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.automation.choices import IncidentLinkSource, IncidentStatus


class Incident(models.Model):
    """A declared incident: new tickets in its product area that mention one of its keywords are linked to it
    while it is open; its customer-facing text is offered to agents as a macro and sent to every linked ticket
    once it is resolved."""

    title = models.CharField(_("title"), max_length=200)
    product_area = models.ForeignKey(
        "tickets.ProductArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("affected product area"),
    )
    # Any of them in the subject or the first message, compared case-insensitively (casefold).
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    customer_text = models.TextField(_("customer-facing text"))
    # The reply sent to every linked ticket on resolve (the customer-facing text unless the lead wrote another).
    resolution_text = models.TextField(_("resolution reply"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.DECLARED
    )
    macro = models.ForeignKey(
        "tickets.Macro",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("macro"),
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("declared by")
    )
    declared_at = models.DateTimeField(_("declared"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-declared_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index("status", condition=Q(status="declared"), name="automation_incident_open_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class IncidentTicket(models.Model):
    """One ticket linked to an incident. `reply_sent_at` and `reply_message` say the resolution reply went to this
    ticket (set in the transaction that posted it)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links", verbose_name=_("incident"))
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="incident_links", verbose_name=_("ticket")
    )
    source = models.CharField(_("linked how"), max_length=10, choices=IncidentLinkSource.choices)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)
    reply_sent_at = models.DateTimeField(_("resolution reply sent"), null=True, blank=True)
    reply_message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["linked_at", "id"]
        verbose_name = _("incident ticket")
        verbose_name_plural = _("incident tickets")
        constraints = [
            models.UniqueConstraint(fields=["incident", "ticket"], name="%(app_label)s_%(class)s_unique_ticket"),
        ]
        indexes = [
            models.Index("ticket", name="automation_incident_ticket_idx"),
            models.Index("incident", condition=Q(reply_sent_at__isnull=True), name="automation_incident_unsent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: #{self.ticket_id}"
