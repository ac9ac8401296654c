"""Satisfaction surveys: the workspace's survey settings, each survey sent (CSAT, CES, NPS), the customer's
response to it, and the bad ratings a lead reviews.

No business logic here: every write goes through surveys.services, every read through surveys.selectors.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.surveys.choices import (
    BadRatingReason,
    BadRatingStatus,
    CsatScale,
    SendStatus,
    Sentiment,
    SurveyKind,
)


class SurveySettings(models.Model):
    """The workspace's survey settings: one row (pk 1), made with its defaults on first read."""

    csat_enabled = models.BooleanField(_("send CSAT on solve"), default=True)
    csat_delay_minutes = models.PositiveIntegerField(_("CSAT delay after solve (minutes)"), default=60)
    csat_scale = models.CharField(_("CSAT scale"), max_length=10, choices=CsatScale.choices, default=CsatScale.GOOD_BAD)
    ces_enabled = models.BooleanField(_("send CES for chosen contact reasons"), default=False)
    ces_contact_reasons = models.ManyToManyField(
        "tickets.ContactReason", blank=True, related_name="+", verbose_name=_("CES contact reasons")
    )
    nps_enabled = models.BooleanField(_("send NPS on a schedule"), default=False)
    nps_interval_days = models.PositiveIntegerField(_("NPS every (days)"), default=90)
    throttle_days = models.PositiveIntegerField(_("at most one survey per contact in (days)"), default=30)
    link_valid_days = models.PositiveIntegerField(_("survey links valid for (days)"), default=14)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return "Survey settings"


class SurveySend(models.Model):
    """One survey for one contact: scheduled, then mailed (or skipped, with the reason), answered through a
    signed link whose random secret is stored only as its SHA-256 digest. One CSAT or CES per ticket (a database
    fact)."""

    kind = models.CharField(_("kind"), max_length=5, choices=SurveyKind.choices)
    scale = models.CharField(_("scale"), max_length=10, blank=True)  # CSAT's scale when it was sent
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="survey_sends"
    )
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="survey_sends")
    # Set when the mail goes out (the link's secret exists only in the mail); null before.
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=SendStatus.choices, default=SendStatus.SCHEDULED)
    scheduled_for = models.DateTimeField(_("scheduled for"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=2000, blank=True)
    email = models.CharField(_("email"), max_length=320, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # The customer sent the page's form: the link is used up, later visits record nothing.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey sent")
        verbose_name_plural = _("surveys sent")
        constraints = [
            models.UniqueConstraint(
                "ticket",
                "kind",
                condition=Q(ticket__isnull=False),
                name="%(app_label)s_%(class)s_one_per_ticket_kind",
            ),
        ]
        indexes = [
            models.Index("status", "scheduled_for", name="surveys_send_due_idx"),
            models.Index("contact", "sent_at", name="surveys_send_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} survey {self.pk}"


class SurveyResponse(models.Model):
    """A customer's answer to one survey, with what it is about copied from the ticket when it was rated
    (agent, team, product area, contact reason, last macro used, solved time), so reports do not move when the
    ticket changes later. Answering again changes this row (audited), never adds a second one."""

    send = models.OneToOneField(SurveySend, on_delete=models.CASCADE, related_name="response")
    kind = models.CharField(_("kind"), max_length=5, choices=SurveyKind.choices)
    scale = models.CharField(_("scale"), max_length=10, blank=True)
    score = models.SmallIntegerField(_("score"))
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices)
    comment = models.TextField(_("comment"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="survey_responses")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    product_area = models.ForeignKey(
        "tickets.ProductArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_reason = models.ForeignKey(
        "tickets.ContactReason", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    macro = models.ForeignKey("tickets.Macro", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rated_at = models.DateTimeField(_("rated"), default=timezone.now)
    solved_at = models.DateTimeField(_("ticket solved"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    changes = models.PositiveIntegerField(_("times changed"), default=0)

    class Meta:
        ordering = ["-rated_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index("kind", "rated_at", name="surveys_response_rated_idx"),
            models.Index("kind", "solved_at", name="surveys_response_solved_idx"),
            # The dashboards' feedback wall: the period's last comments, newest first, by either window.
            models.Index("rated_at", name="surveys_response_rated_at_idx"),
            models.Index("solved_at", name="surveys_response_solved_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score} ({self.pk})"


class BadRating(models.Model):
    """A bad CSAT or an NPS detractor, for the ticket's team lead to review: why it happened (a reason from a
    list) and, for a product issue, the feedback item the ticket was linked to as evidence."""

    response = models.OneToOneField(SurveyResponse, on_delete=models.CASCADE, related_name="bad_rating")
    status = models.CharField(_("status"), max_length=10, choices=BadRatingStatus.choices, default=BadRatingStatus.OPEN)
    reason = models.CharField(_("reason"), max_length=10, choices=BadRatingReason.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    feedback_item = models.ForeignKey(
        "feedback.FeedbackItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bad rating")
        verbose_name_plural = _("bad ratings")
        indexes = [models.Index("status", "created_at", name="surveys_badrating_status_idx")]

    def __str__(self) -> str:
        return f"Bad rating {self.pk}"
