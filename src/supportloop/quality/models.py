"""Conversation quality reviews: a lead's scorecard (weighted criteria), the weekly sample of solved tickets a
reviewer scores against it, and the per-criterion scores.

Version safety: a review copies its scorecard's criteria (label, weight, scale, order) when it is created
(`Review.criteria`), and each `CriterionScore` keeps that copy too. Editing a scorecard's criteria later changes
new reviews only; a done review keeps the meaning it was scored with.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.quality.choices import ReviewStatus, SampledBecause, Scale


class Scorecard(models.Model):
    """What a review scores. At most one is active: the weekly sample uses it."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="quality_scorecard_one_active")
        ]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """One line of a scorecard, weighted; scored pass/fail (0/1) or 1-5."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria")
    label = models.CharField(_("label"), max_length=80)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    scale = models.CharField(_("scale"), max_length=12, choices=Scale.choices, default=Scale.ONE_TO_FIVE)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["scorecard", "order", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "label"], name="quality_criterion_unique_label"),
            models.CheckConstraint(condition=Q(weight__gte=1) & Q(weight__lte=100), name="quality_criterion_weight"),
        ]

    def __str__(self) -> str:
        return f"{self.label} (x{self.weight}, {self.scale})"


class QualitySettings(models.Model):
    """The workspace's sampling settings (one row, pk 1): how many random solved tickets per agent each week."""

    sample_size = models.PositiveSmallIntegerField(_("random tickets per agent per week"), default=2)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("quality settings")
        verbose_name_plural = _("quality settings")

    def __str__(self) -> str:
        return f"{self.sample_size} per agent"


class Reviewer(models.Model):
    """A person a lead chose to review (a lead or an agent). Without any, the active leads review."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("reviewer")
        verbose_name_plural = _("reviewers")

    def __str__(self) -> str:
        return f"reviewer {self.user_id}"


class SampleRun(models.Model):
    """The weekly sample of one ISO week ("2026-W49": the week whose solved tickets were sampled). Unique: the
    sample runs once per week, however often the job is started."""

    week = models.CharField(_("week"), max_length=8, unique=True)
    scorecard = models.ForeignKey(Scorecard, null=True, on_delete=models.SET_NULL, related_name="+")
    random_count = models.PositiveIntegerField(_("random picks"), default=0)
    bad_csat_count = models.PositiveIntegerField(_("bad CSAT picks"), default=0)
    unassigned_count = models.PositiveIntegerField(_("left out: no reviewer but the agent"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-week"]
        verbose_name = _("sample run")
        verbose_name_plural = _("sample runs")

    def __str__(self) -> str:
        return self.week


class Review(models.Model):
    """One solved ticket scored against one scorecard by a reviewer (never the agent reviewed). `criteria` is the
    scorecard's criteria as they were when the review was assigned; `score` the weighted total in percent."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="reviews")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    criteria = models.JSONField(_("criteria when assigned"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.ASSIGNED)
    week = models.CharField(_("week"), max_length=8)
    sampled_because = models.CharField(_("sampled because"), max_length=10, choices=SampledBecause.choices)
    comment = models.TextField(_("comment"), blank=True)
    score = models.DecimalField(_("score (%)"), max_digits=4, decimal_places=1, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-week", "-id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "scorecard"], name="quality_review_one_per_ticket"),
        ]
        indexes = [
            models.Index("reviewer", "status", "week", name="quality_review_reviewer_idx"),
            models.Index("agent", "status", "week", name="quality_review_agent_idx"),
            models.Index("status", "week", name="quality_review_week_idx"),
        ]

    def __str__(self) -> str:
        return f"Review of #{self.ticket_id} ({self.week})"


class CriterionScore(models.Model):
    """A reviewer's answer on one criterion, with the criterion's label, weight and scale as scored and the answer
    as a percent of the scale (pass 100, fail 0; 1-5 as (value-1)/4), so reports aggregate in SQL."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    label = models.CharField(_("label"), max_length=80)
    weight = models.PositiveSmallIntegerField(_("weight"))
    scale = models.CharField(_("scale"), max_length=12, choices=Scale.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    value = models.PositiveSmallIntegerField(_("value"))
    percent = models.DecimalField(_("percent"), max_digits=4, decimal_places=1)

    class Meta:
        ordering = ["review", "order", "id"]
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        constraints = [models.UniqueConstraint(fields=["review", "label"], name="quality_score_one_per_criterion")]

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"
