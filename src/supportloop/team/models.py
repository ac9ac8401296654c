"""The support rotation (everyone takes a turn), calendar feed tokens, reminder markers and forecast inputs.

No business logic here: every write goes through team.services, every read through team.selectors.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.team.choices import ReminderKind


def all_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4, 5, 6]


class RotationMember(models.Model):
    """A person (any role, not only agents) who takes turns on first-line support duty."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rotation", verbose_name=_("person")
    )
    weekdays = models.JSONField(_("weekdays they can take"), default=all_weekdays)  # 0 Monday ... 6 Sunday
    max_per_month = models.PositiveSmallIntegerField(_("maximum shifts per month"), default=4)
    active = models.BooleanField(_("active"), default=True)
    morning_reminder = models.BooleanField(_("also remind on the morning of the shift"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("rotation member")
        verbose_name_plural = _("rotation members")

    def __str__(self) -> str:
        return str(self.user)


class TimeOff(models.Model):
    """Days (inclusive) on which a person must not be scheduled."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off", verbose_name=_("person")
    )
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        constraints = [models.CheckConstraint(condition=Q(end__gte=F("start")), name="%(app_label)s_%(class)s_order")]

    def __str__(self) -> str:
        return f"{self.user} {self.start}..{self.end}"


class ShiftPattern(models.Model):
    """A kind of duty shift the team runs each day (e.g. "Early" 06:00-14:00, "Late" 14:00-22:00): local start and
    end times in the team's time zone (`time_zone`, empty: the workspace's); an end at or before the start runs
    past midnight. The generator fills one shift per active pattern on each of its weekdays."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    start_time = models.TimeField(_("starts (local)"))
    end_time = models.TimeField(_("ends (local)"))
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    weekdays = models.JSONField(_("weekdays it runs"), default=all_weekdays)  # 0 Monday ... 6 Sunday
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["position", "start_time", "id"]
        verbose_name = _("shift pattern")
        verbose_name_plural = _("shift patterns")

    def __str__(self) -> str:
        return f"{self.name} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class Shift(models.Model):
    """One shift of first-line duty: the person on duty between `starts_at` and `ends_at` (UTC; the pattern's
    local hours on `date` in its time zone). One shift per pattern and day."""

    date = models.DateField(_("date"))
    pattern = models.ForeignKey(
        ShiftPattern, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("shift pattern")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("person")
    )
    swapped_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("originally"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["date", "starts_at"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        indexes = [models.Index("user", "starts_at", name="team_shift_user_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="%(app_label)s_%(class)s_order"),
            models.UniqueConstraint(fields=["date", "pattern"], name="%(app_label)s_%(class)s_one_per_pattern"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.user}"


class ShiftSwap(models.Model):
    """A recorded hand-over of a shift from one person to another (one side of an exchange is one row)."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="swaps", verbose_name=_("shift"))
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shift swap")
        verbose_name_plural = _("shift swaps")

    def __str__(self) -> str:
        return f"{self.shift.date}: {self.from_user} -> {self.to_user}"


class SwapRequest(models.Model):
    """A proposed swap: `from_user` (on `shift`) asks `to_user` to take it over, or, with `other_shift` (one of
    `to_user`'s), to exchange the two. Nothing changes until `to_user` accepts; they may decline, the proposer may
    withdraw. At most one open request per shift."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="swap_requests")
    other_shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="swap_requests")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("swap request")
        verbose_name_plural = _("swap requests")
        constraints = [
            models.UniqueConstraint(
                fields=["shift"], condition=Q(status="proposed"), name="%(app_label)s_%(class)s_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.shift}: {self.from_user} -> {self.to_user} ({self.status})"


class CalendarFeed(models.Model):
    """The secret token of an iCalendar feed: one per person (`user`) and one for the whole team (`user` empty,
    `scope` "team"). Rotating replaces the token, so the old URL stops working at once."""

    scope = models.CharField(_("scope"), max_length=40, unique=True)  # "team" or "user:<id>"
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    token = models.CharField(_("token"), max_length=64, unique=True)
    rotated_at = models.DateTimeField(_("rotated"), default=timezone.now)

    class Meta:
        ordering = ["scope"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return self.scope


class ShiftReminder(models.Model):
    """The sent-marker of one reminder: its unique (shift, kind) makes a second run, or a concurrent one, skip
    it. Claimed before the mail goes; released again if the mail fails."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("shift reminder")
        verbose_name_plural = _("shift reminders")
        constraints = [
            models.UniqueConstraint(fields=["shift", "kind", "user"], name="%(app_label)s_%(class)s_once"),
        ]

    def __str__(self) -> str:
        return f"{self.shift} {self.kind}"


class PlannedEvent(models.Model):
    """A launch, promotion or holiday the lead expects to change ticket volume: the forecast for its days is
    multiplied by `multiplier` (1.5 = half again as many tickets; 0.3 = a quiet holiday)."""

    name = models.CharField(_("name"), max_length=150)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    multiplier = models.DecimalField(_("volume multiplier"), max_digits=5, decimal_places=2)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("planned event")
        verbose_name_plural = _("planned events")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="%(app_label)s_%(class)s_order"),
            models.CheckConstraint(condition=Q(multiplier__gt=0), name="%(app_label)s_%(class)s_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ShadowSlot(models.Model):
    """An agent's offer: someone may sit beside them (in person or on a call) for this time."""

    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shadow_slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    seats = models.PositiveSmallIntegerField(_("seats"), default=1)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("shadowing slot")
        verbose_name_plural = _("shadowing slots")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="%(app_label)s_%(class)s_order")
        ]

    def __str__(self) -> str:
        return f"{self.host} {self.starts_at:%Y-%m-%d %H:%M}"


class ShadowSignup(models.Model):
    """A visitor (anyone) signed up for a slot; the debrief afterwards says what they saw."""

    slot = models.ForeignKey(ShadowSlot, on_delete=models.CASCADE, related_name="signups")
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shadow_signups")
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    debrief = models.TextField(_("what I saw"), blank=True)
    debriefed_at = models.DateTimeField(_("debriefed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shadowing sign-up")
        verbose_name_plural = _("shadowing sign-ups")
        constraints = [models.UniqueConstraint(fields=["slot", "visitor"], name="%(app_label)s_%(class)s_once")]

    def __str__(self) -> str:
        return f"{self.visitor} @ {self.slot}"


class ShadowFinding(models.Model):
    """One thing a visitor noticed, which can become feedback evidence (on a new or an existing item)."""

    signup = models.ForeignKey(ShadowSignup, on_delete=models.CASCADE, related_name="findings")
    text = models.TextField(_("finding"))
    feedback_item = models.ForeignKey(
        "feedback.FeedbackItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("shadowing finding")
        verbose_name_plural = _("shadowing findings")

    def __str__(self) -> str:
        return self.text[:60]
