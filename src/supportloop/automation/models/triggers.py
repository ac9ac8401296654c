"""Triggers (event rules) and time rules: what a lead sets up once, and the rows that prove what ran.

A Trigger's conditions and actions are JSON, checked by automation/services/triggers.py when the rule is saved
(unknown fields, operators, ids and action parameters are refused with field errors), so the listener only reads
rules that were valid when written. The listener keeps the active rules compiled in a per-process cache that a
version counter invalidates (as routing does).

TriggerFiring is the loop guard's memory and the record of each firing; TimeRuleMark is the database fact that
makes a time rule act once per ticket and occurrence, however many passes run at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.automation.choices import FiringOutcome


class Trigger(models.Model):
    """One event rule: on the ticket events named in `events`, when `conditions` hold ({"all": [...], "any":
    [...]}: every "all" condition, and at least one "any" condition when there are some), run `actions` in
    order ([{"action": kind, ...parameters}], kinds from automation/actions.py). Rules run by position."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("enabled"), default=True)
    events = models.JSONField(_("ticket events"), default=list)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")

    def __str__(self) -> str:
        return self.name


class TriggerFiring(models.Model):
    """One time a trigger acted on a ticket (or was stopped from acting by the per-ticket, per-rule cap). The
    cap counts the `fired` rows of the last hour through the (trigger, ticket, at) index."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(_("time"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=10, choices=FiringOutcome.choices)
    event_kind = models.CharField(_("ticket event"), max_length=20, blank=True)
    detail = models.JSONField(_("detail"), default=list, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("trigger firing")
        indexes = [models.Index("trigger", "ticket", "at", name="automation_firing_cap_idx")]

    def __str__(self) -> str:
        return f"{self.trigger_id} on {self.ticket_id}: {self.outcome}"


class TimeRuleMark(models.Model):
    """A time rule acted on a ticket for one occurrence (the moment the waited-for state began: the customer's
    last word for a pending reminder, the last change for closing and the unassigned notice). Unique, so two
    passes at once, or one run again, act once: the second insert fails and its pass skips the ticket."""

    rule = models.CharField(_("time rule"), max_length=40)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    occurrence = models.DateTimeField(_("occurrence"))
    created_at = models.DateTimeField(_("acted"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("time rule mark")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "occurrence"], name="%(app_label)s_%(class)s_unique_occurrence"
            )
        ]
        indexes = [models.Index("created_at", name="automation_mark_created_idx")]

    def __str__(self) -> str:
        return f"{self.rule} on {self.ticket_id} ({self.occurrence:%Y-%m-%d %H:%M})"


class Notification(models.Model):
    """An in-app notice to one user (a trigger's or a time rule's "notify"), unread until `read_at`. The
    project had no notification table before triggers; /notifications/ and /api/v1/notifications list them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(_("text"), max_length=500)
    source = models.CharField(_("source"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        indexes = [models.Index("user", "read_at", "created_at", name="automation_notice_user_idx")]

    def __str__(self) -> str:
        return f"to {self.user_id}: {self.text[:40]}"


class TimeRuleSetting(models.Model):
    """A lead's settings of one built-in time rule (automation/services/time_rules.py): on or off, the wait, and
    for the pending reminder an optional text replacing the built-in one. A rule without a row runs with the
    built-in defaults; the row is written the first time someone changes the rule."""

    rule = models.CharField(_("time rule"), max_length=40, unique=True)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    after_minutes = models.PositiveIntegerField(_("wait (minutes)"))
    reminder_text = models.TextField(_("reminder text"), blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["rule"]
        verbose_name = _("time rule setting")
        verbose_name_plural = _("time rule settings")

    def __str__(self) -> str:
        return self.rule
