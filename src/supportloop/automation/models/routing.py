"""Routing rules (which team, tags and priority a new ticket gets) and assignment (which agent of the team takes
it): the team's method, the agents' capacity, skills and away status, and the round-robin pointer.

Criteria name taxonomy rows and mailboxes by id in JSON lists rather than many-to-many tables: the rules are read
as one query into a per-process cache (automation/services/routing.py), and those rows are retired, never deleted
(tickets protect them); the services check every id when a rule is saved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.automation.choices import AssignmentMethod, AwayReassignment
from supportloop.tickets.choices import Priority


class RoutingRule(models.Model):
    """One routing rule: when a new ticket without a team matches every criterion given (an empty list matches
    anything), it goes to the rule's team with its tags and priority. Rules are tried by position; the first
    match wins."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    mailbox_ids = models.JSONField(_("mailboxes"), default=list, blank=True)
    product_area_ids = models.JSONField(_("product areas"), default=list, blank=True)
    product_feature_ids = models.JSONField(_("product features"), default=list, blank=True)
    contact_reason_ids = models.JSONField(_("contact reasons"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    plans = models.JSONField(_("plans"), default=list, blank=True)
    # Any of them in the subject or the first message, compared case-insensitively (casefold).
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        # The team goes, the rule stays (with its tags and priority) so a lead sees it and picks another team.
        on_delete=models.SET_NULL,
        related_name="routing_rules",
        verbose_name=_("team"),
    )
    add_tags = models.JSONField(_("tags to add"), default=list, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class TeamAssignment(models.Model):
    """How a team hands its tickets to its agents. The row is also the team's round-robin pointer: assignment
    locks it (SELECT ... FOR UPDATE), so two tickets arriving at once never pick from the same pointer."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, primary_key=True, related_name="assignment", verbose_name=_("team")
    )
    method = models.CharField(
        _("assignment"), max_length=20, choices=AssignmentMethod.choices, default=AssignmentMethod.MANUAL
    )
    require_skills = models.BooleanField(
        _("require skills"),
        default=False,
        help_text=_("Only agents with the ticket's language and product area take it."),
    )
    default_capacity = models.PositiveIntegerField(
        _("open tickets per agent"),
        null=True,
        blank=True,
        help_text=_("For agents without a capacity of their own. Empty: no limit."),
    )
    on_agent_away = models.CharField(
        _("when an agent goes away"),
        max_length=10,
        choices=AwayReassignment.choices,
        default=AwayReassignment.LEAVE,
    )
    # The user who got the team's last round-robin ticket; the next goes to the first eligible agent after them.
    last_assigned_user_id = models.BigIntegerField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["team"]
        verbose_name = _("team assignment")
        verbose_name_plural = _("team assignments")

    def __str__(self) -> str:
        return f"{self.team_id}: {self.method}"


class AgentProfile(models.Model):
    """What assignment knows of one agent: away or not, how many open tickets they take, their skills."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="agent_profile",
        verbose_name=_("agent"),
    )
    is_away = models.BooleanField(_("away"), default=False)
    away_since = models.DateTimeField(_("away since"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("open tickets at most"), null=True, blank=True, help_text=_("Empty: the team's default.")
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    product_area_ids = models.JSONField(_("product areas"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["user"]
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return f"{self.user_id}{' (away)' if self.is_away else ''}"
