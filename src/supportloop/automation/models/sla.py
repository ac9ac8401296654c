"""SLA policies, business-hours calendars and each ticket's SLA state (docs/automation-sla.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from supportloop.accounts.models import Team


class BusinessCalendar(models.Model):
    """When a team works: weekly opening hours in a time zone, minus public holidays of one country (and
    subdivision) from the `holidays` library, minus the workspace's own closed dates. SLA clocks of a team's
    tickets run only inside these hours; the default calendar serves teams without one of their own."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # [{"day": 0-6 (Monday first), "start": "09:00", "end": "17:00"}, ...]; validated by the service.
    hours = models.JSONField(_("opening hours"), default=list)
    holidays_country = models.CharField(_("holidays country"), max_length=3, blank=True)
    holidays_subdivision = models.CharField(_("holidays subdivision"), max_length=10, blank=True)
    # [{"date": "2026-12-24", "name": "Office closed"}, ...]: closed days beyond the country's holidays.
    custom_closed_dates = models.JSONField(_("custom closed dates"), default=list, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    teams: models.ManyToManyField[Team, BusinessCalendarTeam] = models.ManyToManyField(
        "accounts.Team", through="BusinessCalendarTeam", related_name="business_calendars", blank=True
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business-hours calendar")
        verbose_name_plural = _("business-hours calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="%(app_label)s_%(class)s_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class BusinessCalendarTeam(models.Model):
    """A team's calendar: a team has at most one."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE)
    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="business_calendar_link")

    class Meta:
        verbose_name = _("team calendar")

    def __str__(self) -> str:
        return f"{self.team_id} -> {self.calendar_id}"


class SlaPolicy(models.Model):
    """Targets a ticket is held to. The first active policy in `position` order whose conditions match the
    ticket (its company's plan, its channel, and a target row for its priority) applies; empty condition
    lists match everything."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    plans = models.JSONField(_("plans"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    business_hours = models.BooleanField(
        _("business hours"), default=True, help_text=_("Count only the team calendar's open hours (else 24/7).")
    )
    warn_before_minutes = models.PositiveIntegerField(_("warn before (minutes)"), default=30)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """A policy's targets for one priority, in business minutes; empty means no target."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=10)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"), null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("next response (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"), null=True, blank=True)

    class Meta:
        ordering = ["policy", "priority"]
        verbose_name = _("SLA target")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="%(app_label)s_%(class)s_unique_priority")
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}:{self.priority}"


class TicketSla(models.Model):
    """One ticket's SLA state: the policy that applies, its clocks' facts (when each target started and was
    fulfilled, pauses), the derived due and warning times, and what was recorded (warned, breached).

    `next_check_at` is the earliest warning or due time not yet recorded on a running clock (None when
    nothing can happen until the next ticket event): the periodic check reads only rows whose next_check_at
    has passed, an index range scan on a partial index, never every ticket.
    """

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="sla")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("started"))
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused business seconds"), default=0)

    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_fulfilled_at = models.DateTimeField(null=True, blank=True)
    first_response_warned_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)

    next_response_started_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_warn_at = models.DateTimeField(null=True, blank=True)
    next_response_fulfilled_at = models.DateTimeField(null=True, blank=True)
    next_response_warned_at = models.DateTimeField(null=True, blank=True)
    next_response_breached_at = models.DateTimeField(null=True, blank=True)
    # Next responses recur: each answered cycle counts once, for the attainment report.
    next_response_met_count = models.PositiveIntegerField(default=0)
    next_response_breached_count = models.PositiveIntegerField(default=0)

    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_fulfilled_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)

    next_check_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["ticket"]
        verbose_name = _("ticket SLA")
        indexes = [
            models.Index("next_check_at", condition=Q(next_check_at__isnull=False), name="automation_sla_check_idx"),
            models.Index("policy", name="automation_sla_policy_idx"),
        ]

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id}"


class TicketSlaPause(models.Model):
    """One pause of a ticket's SLA clocks: from the moment the ticket became pending, on hold, solved or closed
    until it was active again (None while it lasts), with the business time it held the clocks."""

    ticket_sla = models.ForeignKey(TicketSla, on_delete=models.CASCADE, related_name="pauses")
    status = models.CharField(_("status"), max_length=10)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    business_seconds = models.PositiveIntegerField(_("business seconds"), default=0)

    class Meta:
        ordering = ["ticket_sla", "started_at", "id"]
        verbose_name = _("SLA pause")

    def __str__(self) -> str:
        return f"{self.ticket_sla_id} {self.status} {self.started_at:%Y-%m-%d %H:%M}"
