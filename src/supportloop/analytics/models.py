"""Analytics rollups and the dashboards' own records.

- `TicketFact`: one row per ticket with what the reports read (dimensions, first response and resolution times in
  calendar and business seconds, reopens), kept current from ticket events (`rollups.ticket_fact_refresh`) and
  rebuilt by `supportloop analytics_rebuild`.
- `DailyDuration`: first response and resolution times counted per local day, team and log-spaced bucket, so the
  Times dashboard's medians come from a few thousand counts instead of sorting a month of tickets.
- `HourlyVolume`: tickets created and solved per UTC hour x channel x product area x contact reason x team, so a
  volume chart sums a few hundred rows instead of scanning tickets.
- `RequesterLastTicket`: when each requester last opened a ticket (overall and per channel, product area, contact
  reason), so contacts per customer over a period up to now counts an index range instead of distinct requesters.
- `MacroApplicationFact`, `MacroDailyVolume`: macro uses per local day, macro and the ticket's channel, product area
  and contact reason, so the Macros dashboard sums a month of counts instead of joining its uses to the tickets.
- `SurveyDailyVolume`: survey answers per local day of either calculation window, kind and breakdown, so the
  Satisfaction dashboard sums a month of counts instead of grouping a month of responses.
- `TvLink`: a signed read-only address showing one dashboard on a wall screen; revocable and rotatable by a lead.
- `LeadReportDelivery`: the weekly headline mail of one week to one lead, at most once (a database fact).

No business logic here: writes go through analytics.services / analytics.rollups.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The columns reports filter and break down by.
DIMENSIONS = ("channel", "product_area_id_key", "contact_reason_id_key", "team_id_key")


class TicketFact(models.Model):
    """What the reports need of one ticket. Keys are 0 for "none" so rollup rows stay unique."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+")
    created_at = models.DateTimeField(_("created"))
    channel = models.CharField(_("channel"), max_length=10)
    product_area_id_key = models.BigIntegerField(_("product area"), default=0)
    contact_reason_id_key = models.BigIntegerField(_("contact reason"), default=0)
    team_id_key = models.BigIntegerField(_("team"), default=0)
    requester_id_key = models.BigIntegerField(_("requester"), default=0)
    assignee_id_key = models.BigIntegerField(_("assignee"), default=0)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    first_response_seconds = models.BigIntegerField(_("first response (s)"), null=True, blank=True)
    first_response_business_seconds = models.BigIntegerField(_("first response, business (s)"), null=True, blank=True)
    resolution_seconds = models.BigIntegerField(_("resolution (s)"), null=True, blank=True)
    resolution_business_seconds = models.BigIntegerField(_("resolution, business (s)"), null=True, blank=True)
    reopens = models.PositiveIntegerField(_("reopens"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ticket fact")
        verbose_name_plural = _("ticket facts")
        # The period's facts are read from the index alone on PostgreSQL (an index-only scan, no visit to the
        # rows): a month is about 370,000 facts at 11,000 tickets a day (benchmarks/RESULTS.md, dashboards).
        indexes = [
            models.Index(
                fields=["created_at"],
                name="analytics_fact_created_idx",
                include=[*DIMENSIONS, "requester_id_key", "first_response_seconds", "first_response_business_seconds"],
            ),
            models.Index(
                fields=["solved_at"],
                name="analytics_fact_solved_idx",
                include=[*DIMENSIONS, "reopens", "resolution_seconds", "resolution_business_seconds"],
            ),
            models.Index("created_at", condition=Q(solved_at__isnull=True), name="analytics_fact_open_idx"),
            # The tickets not answered yet: the Times dashboard checks its duration counts with this count.
            models.Index(
                "created_at", condition=Q(first_response_at__isnull=True), name="analytics_fact_unanswered_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"facts of ticket {self.ticket_id}"


class HourlyVolume(models.Model):
    """Tickets created and solved (by their current solve time) in one UTC hour, per dimension combination, and how
    many of the solved had been reopened."""

    hour = models.DateTimeField(_("hour (UTC)"))
    channel = models.CharField(_("channel"), max_length=10)
    product_area_key = models.BigIntegerField(_("product area"), default=0)
    contact_reason_key = models.BigIntegerField(_("contact reason"), default=0)
    team_key = models.BigIntegerField(_("team"), default=0)
    created = models.IntegerField(_("created"), default=0)
    solved = models.IntegerField(_("solved"), default=0)
    # Of `solved`, the tickets reopened at least once before (the reopen rate without reading the facts).
    reopened = models.IntegerField(_("solved after a reopen"), default=0)

    class Meta:
        ordering = ["hour"]
        verbose_name = _("hourly volume")
        verbose_name_plural = _("hourly volumes")
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "channel", "product_area_key", "contact_reason_key", "team_key"],
                name="%(app_label)s_%(class)s_unique_bucket",
            )
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.channel}: +{self.created} / -{self.solved}"


class HourlyDimensionVolume(models.Model):
    """HourlyVolume summed over every dimension but one, per UTC hour: `dimension` "all" (key "") sums everything,
    "channel", "product_area" and "contact_reason" keep that one (key: the channel, or the id as text, "0" for
    none). Volume charts with no filter or one filter read these few rows per hour instead of one per
    combination; two filters or more read HourlyVolume."""

    hour = models.DateTimeField(_("hour (UTC)"))
    dimension = models.CharField(_("dimension"), max_length=16)
    key = models.CharField(_("key"), max_length=32, blank=True)
    created = models.IntegerField(_("created"), default=0)
    solved = models.IntegerField(_("solved"), default=0)
    # Of `solved`, the tickets reopened at least once before (the reopen rate without reading the facts).
    reopened = models.IntegerField(_("solved after a reopen"), default=0)

    class Meta:
        ordering = ["hour"]
        verbose_name = _("hourly volume per dimension")
        verbose_name_plural = _("hourly volumes per dimension")
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key", "hour"], name="%(app_label)s_%(class)s_unique_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.dimension}={self.key}: +{self.created} / -{self.solved}"


class DailyDuration(models.Model):
    """How many tickets' first response (by the local day they were created) or resolution (by the local day they
    were solved) took a duration in one bucket (analytics.durations), per team. `ordering` says which duration:
    "working" (business time where the ticket has it, else calendar), "calendar", or "business" (bucket 0:
    how many had business time at all). Kept current with TicketFact by rollups.ticket_fact_refresh; the Times
    dashboard reads it for whole days when it holds exactly the period's facts, else it reads the facts."""

    day = models.DateField(_("day (workspace time zone)"))
    measure = models.CharField(_("measure"), max_length=16)
    team_key = models.BigIntegerField(_("team"), default=0)
    ordering = models.CharField(_("ordering"), max_length=10)
    bucket = models.IntegerField(_("bucket"))
    count = models.IntegerField(_("tickets"), default=0)

    class Meta:
        ordering = ["day", "measure", "team_key", "ordering", "bucket"]
        verbose_name = _("daily duration count")
        verbose_name_plural = _("daily duration counts")
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "day", "team_key", "ordering", "bucket"], name="%(app_label)s_%(class)s_unique"
            )
        ]
        # The Times dashboard sums a month of counts from this index alone (an index-only scan on PostgreSQL).
        indexes = [
            models.Index(
                fields=["measure", "day"],
                include=["team_key", "ordering", "bucket", "count"],
                name="analytics_duration_read_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} team {self.team_key} {self.ordering}[{self.bucket}]: {self.count}"


class RequesterLastTicket(models.Model):
    """When one requester last opened a ticket: over all their tickets (`dimension` "all", key "") or over those of
    one channel, product area or contact reason (keys as in HourlyDimensionVolume: the channel, or the id as text,
    "0" for none). The requesters with a ticket in a period that runs to now are those whose last ticket is in it,
    so contacts per customer counts an index range instead of the distinct requesters of a month of facts. Kept by
    rollups.ticket_fact_refresh (requester_rollups)."""

    dimension = models.CharField(_("dimension"), max_length=16)
    key = models.CharField(_("key"), max_length=32, blank=True)
    requester_key = models.BigIntegerField(_("requester"))
    last_created_at = models.DateTimeField(_("last ticket created"))

    class Meta:
        ordering = ["dimension", "key", "requester_key"]
        verbose_name = _("requester's last ticket")
        verbose_name_plural = _("requesters' last tickets")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "key", "requester_key"], name="%(app_label)s_%(class)s_unique_requester"
            )
        ]
        indexes = [models.Index(fields=["dimension", "key", "last_created_at"], name="analytics_requester_last_idx")]

    def __str__(self) -> str:
        return f"requester {self.requester_key} {self.dimension}={self.key}: {self.last_created_at:%Y-%m-%d %H:%M}"


class MacroApplicationFact(models.Model):
    """One macro use as the Macros dashboard counts it: its local day and the ticket's channel, product area and
    contact reason when it was last refreshed, i.e. the MacroDailyVolume bucket it is counted in. A refresh compares
    this with the use and its ticket and moves exactly that count (macro_rollups.macro_facts_refresh). No foreign key to
    the use: a cascade would delete the row without taking its count out; the refresh does both."""

    application_id = models.BigIntegerField(_("macro application"), primary_key=True)
    ticket_id = models.BigIntegerField(_("ticket"), db_index=True)
    macro_key = models.BigIntegerField(_("macro"))
    day = models.DateField(_("day (workspace time zone)"))
    channel = models.CharField(_("channel"), max_length=10)
    product_area_key = models.BigIntegerField(_("product area"), default=0)
    contact_reason_key = models.BigIntegerField(_("contact reason"), default=0)

    class Meta:
        ordering = ["application_id"]
        verbose_name = _("macro use fact")
        verbose_name_plural = _("macro use facts")

    def __str__(self) -> str:
        return f"macro {self.macro_key} on ticket {self.ticket_id} ({self.day})"


class MacroDailyVolume(models.Model):
    """How many times a macro was applied on one local day to tickets of one channel, product area and contact
    reason (keys 0 for none). The Macros dashboard reads it for periods of whole days."""

    day = models.DateField(_("day (workspace time zone)"))
    macro_key = models.BigIntegerField(_("macro"))
    channel = models.CharField(_("channel"), max_length=10)
    product_area_key = models.BigIntegerField(_("product area"), default=0)
    contact_reason_key = models.BigIntegerField(_("contact reason"), default=0)
    count = models.IntegerField(_("applications"), default=0)

    class Meta:
        ordering = ["day", "macro_key"]
        verbose_name = _("daily macro use")
        verbose_name_plural = _("daily macro uses")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "macro_key", "channel", "product_area_key", "contact_reason_key"],
                name="%(app_label)s_%(class)s_unique_bucket",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} macro {self.macro_key}: {self.count}"


class DailyTagging(models.Model):
    """How many tickets created on one local day are assigned to one agent (0: nobody) with one product area and
    contact reason (0: none): the Tag quality report sums a period's rows per agent instead of grouping a month of
    tickets. Kept with TicketFact by rollups.ticket_fact_refresh (a new ticket, a change of assignee or tags)."""

    day = models.DateField(_("day created (workspace time zone)"))
    assignee_key = models.BigIntegerField(_("assignee"), default=0)
    product_area_key = models.BigIntegerField(_("product area"), default=0)
    contact_reason_key = models.BigIntegerField(_("contact reason"), default=0)
    created = models.IntegerField(_("tickets"), default=0)

    class Meta:
        ordering = ["day", "assignee_key"]
        verbose_name = _("daily tagging count")
        verbose_name_plural = _("daily tagging counts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "assignee_key", "product_area_key", "contact_reason_key"],
                name="%(app_label)s_%(class)s_unique_bucket",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} agent {self.assignee_key}: {self.created}"


class SurveyDailyVolume(models.Model):
    """Survey answers of one local day in one calculation window (`window` "rated": the day answered; "solved": the
    day the ticket was solved), of one kind, per breakdown: `dimension` "all" (key 0) or product_area,
    contact_reason, agent, team, macro with the id the response copied when rated (0 for none). How many, how many
    good / neutral / bad, and the sum of the scores (the mean without the rows). Kept in the answer's transaction
    (analytics.survey_rollups, through surveys.hooks); the Satisfaction dashboard reads it for whole days without
    a filter."""

    window = models.CharField(_("calculation window"), max_length=10)
    day = models.DateField(_("day (workspace time zone)"))
    kind = models.CharField(_("survey"), max_length=10)
    dimension = models.CharField(_("dimension"), max_length=16)
    key = models.BigIntegerField(_("key"), default=0)
    count = models.IntegerField(_("responses"), default=0)
    good = models.IntegerField(_("good"), default=0)
    neutral = models.IntegerField(_("neutral"), default=0)
    bad = models.IntegerField(_("bad"), default=0)
    score_sum = models.BigIntegerField(_("sum of scores"), default=0)

    class Meta:
        ordering = ["window", "day", "kind", "dimension", "key"]
        verbose_name = _("daily survey answers")
        verbose_name_plural = _("daily survey answers")
        constraints = [
            models.UniqueConstraint(
                fields=["window", "day", "kind", "dimension", "key"], name="%(app_label)s_%(class)s_unique_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.window} {self.day} {self.kind} {self.dimension}={self.key}: {self.count}"


class Dashboard(models.TextChoices):
    VOLUME = "volume", _("Volume")
    TIMES = "times", _("Times")
    SATISFACTION = "satisfaction", _("Satisfaction")
    MACROS = "macros", _("Macros")
    TAG_QUALITY = "tag_quality", _("Tag quality")


class TvLink(models.Model):
    """A read-only signed address that shows one dashboard without signing in. The URL carries the row's id and
    a random nonce, signed with the secret key (django.core.signing); rotating replaces the nonce (old URLs stop
    working), revoking ends it, and it expires."""

    name = models.CharField(_("name"), max_length=100)
    dashboard = models.CharField(_("dashboard"), max_length=20, choices=Dashboard.choices)
    nonce = models.CharField(_("nonce"), max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("TV link")
        verbose_name_plural = _("TV links")

    def __str__(self) -> str:
        return self.name


class LeadReportDelivery(models.Model):
    """The weekly headline figures of one week mailed to one lead: at most once (a database fact)."""

    week_start = models.DateField(_("week"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-week_start", "user_id"]
        verbose_name = _("lead report delivery")
        verbose_name_plural = _("lead report deliveries")
        constraints = [
            models.UniqueConstraint(fields=["week_start", "user"], name="%(app_label)s_%(class)s_once"),
        ]

    def __str__(self) -> str:
        return f"lead report {self.week_start} to {self.user_id}"
