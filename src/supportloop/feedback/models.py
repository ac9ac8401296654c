"""Feedback items (requests, bugs, improvements), the evidence that ties them to customers, and closing the loop.

No business logic here: every write goes through feedback.services, every read through feedback.selectors.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.customers.choices import Plan
from supportloop.feedback.choices import (
    DeliveryOutcome,
    Frequency,
    Importance,
    ItemStatus,
    Kind,
    NoticeKind,
    NoticeStatus,
    PickListField,
    ProposalStatus,
    Severity,
    Tracker,
)


class FeedbackItem(models.Model):
    """Something customers asked for or ran into: a feature request, a bug or an improvement.

    The problem statement describes the customer's problem ("As a ... I need ... so that ...") and is kept apart
    from any proposed solution. A merged item keeps its row and points at the item it was merged into.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FEATURE_REQUEST)
    title = models.CharField(_("title"), max_length=300)
    problem = models.TextField(
        _("problem statement"), blank=True, help_text=_("The customer's problem: As a … I need … so that …")
    )
    proposed_solution = models.TextField(_("proposed solution"), blank=True)
    product_area = models.ForeignKey(
        "tickets.ProductArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback_items",
        verbose_name=_("product area"),
    )
    product_feature = models.ForeignKey(
        "tickets.ProductFeature",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback_items",
        verbose_name=_("product feature"),
    )
    status = models.CharField(_("status"), max_length=20, choices=ItemStatus.choices, default=ItemStatus.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_feedback_items",
        verbose_name=_("owner"),
    )
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("Shown on the public roadmap (title, area and status only).")
    )
    # What the public feedback board shows under the title: written for the public, never the problem statement
    # (which may name customers).
    public_description = models.TextField(
        _("public description"), blank=True, help_text=_("Shown on the public feedback board under the title.")
    )
    release_note = models.TextField(_("release note"), blank=True)
    decline_reason = models.TextField(_("decline reason"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_items",
        verbose_name=_("merged into"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        indexes = [
            models.Index("status", "kind", name="feedback_item_status_kind_idx"),
            models.Index("product_area", "status", name="feedback_item_area_idx"),
            models.Index("created_at", name="feedback_item_created_idx"),
            # The public board: counts per status and the "recent" sort of public items read this index alone,
            # and its ETag is max(updated_at), one probe of the last one.
            models.Index(
                fields=["status", "-created_at", "-id"], name="feedback_item_public_idx", condition=Q(is_public=True)
            ),
            # status last: the "recent" sort of every status reads its page, even the last one, from the index alone.
            models.Index(
                fields=["-created_at", "-id", "status"],
                name="feedback_item_public_new_idx",
                condition=Q(is_public=True),
            ),
            models.Index(fields=["updated_at"], name="feedback_item_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="%(app_label)s_%(class)s_not_merged_into_self"
            ),
            models.CheckConstraint(
                condition=Q(status=ItemStatus.MERGED, merged_into__isnull=False)
                | (~Q(status=ItemStatus.MERGED) & Q(merged_into__isnull=True)),
                name="%(app_label)s_%(class)s_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"FB-{self.pk} {self.title}"

    @property
    def reference(self) -> str:
        return f"FB-{self.pk}"


class BugReport(models.Model):
    """The structured part of a bug: everything picked from lists except the three narrative fields."""

    item = models.OneToOneField(FeedbackItem, primary_key=True, on_delete=models.CASCADE, related_name="bug_report")
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bug_reports",
        verbose_name=_("filed from ticket"),
    )
    version = models.CharField(_("version / build"), max_length=100)
    environment_browser = models.CharField(_("browser"), max_length=100)
    environment_os = models.CharField(_("operating system"), max_length=100)
    environment_device = models.CharField(_("device"), max_length=100)
    environment_plan = models.CharField(_("plan"), max_length=20, choices=Plan.choices)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    frequency = models.CharField(_("frequency"), max_length=20, choices=Frequency.choices)
    steps = models.TextField(_("steps to reproduce"))
    expected = models.TextField(_("expected result"))
    actual = models.TextField(_("actual result"))
    attachments = models.ManyToManyField(
        "tickets.Attachment", blank=True, related_name="bug_reports", verbose_name=_("attachments carried over")
    )

    class Meta:
        ordering = ["-item_id"]
        verbose_name = _("bug report")
        verbose_name_plural = _("bug reports")
        indexes = [models.Index("severity", name="feedback_bug_severity_idx")]

    def __str__(self) -> str:
        return f"Bug report of FB-{self.item_id}"


class PickListOption(models.Model):
    """One admin-editable choice of a bug-report pick-list (versions, browsers, operating systems, devices)."""

    field = models.CharField(_("field"), max_length=30, choices=PickListField.choices)
    value = models.CharField(_("value"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["field", "position", "value"]
        verbose_name = _("bug-report pick-list option")
        verbose_name_plural = _("bug-report pick-list options")
        constraints = [models.UniqueConstraint(fields=["field", "value"], name="%(app_label)s_%(class)s_unique")]

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.value}"


class Evidence(models.Model):
    """Where an item was heard: a ticket message (quoted), or a sales call or survey with a source label.

    The company is the contact's company at that moment, with its plan and MRR snapshot. Counting uses the
    company's current MRR (see selectors); the snapshot shows what the customer was worth when they asked.
    """

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="evidence")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_evidence"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_evidence"
    )
    quote = models.TextField(_("quote"), blank=True)
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_evidence"
    )
    company = models.ForeignKey(
        "customers.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_evidence"
    )
    company_plan = models.CharField(_("plan then"), max_length=20, blank=True)
    company_mrr = models.DecimalField(_("MRR then"), max_digits=12, decimal_places=2, default=Decimal("0"))
    importance = models.CharField(
        _("importance"), max_length=20, choices=Importance.choices, default=Importance.IMPORTANT
    )
    source = models.CharField(
        _("source"),
        max_length=100,
        blank=True,
        help_text=_("Where it was heard when there is no ticket, e.g. 'Sales call'."),
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The item this evidence was first linked to, kept when a merge moves it.
    merged_from = models.ForeignKey(FeedbackItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # When the customer said it (the message's time, or the date of the call); counting and weeks use this.
    created_at = models.DateTimeField(_("heard"), default=timezone.now)
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)
    # A ticket linked without naming a message: a digest of the ticket and the quote, so the same ticket and
    # quote count once per item (services.evidence.evidence_link_key). Empty for message and ticketless evidence.
    # NULL rather than "": the unique constraint below holds only for rows that have a key.
    link_key = models.CharField(_("link key"), max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            # One ticket counts once per item unless a different message or quote is given: partial unique
            # indexes (PostgreSQL and SQLite), so two links at the same moment cannot both land.
            models.UniqueConstraint(
                fields=["item", "message"],
                condition=Q(message__isnull=False),
                name="feedback_evidence_once_per_message",
            ),
            models.UniqueConstraint(
                fields=["item", "link_key"],
                condition=Q(link_key__isnull=False),
                name="feedback_evidence_once_per_ticket_quote",
            ),
        ]
        indexes = [
            models.Index("item", "created_at", name="feedback_ev_item_time_idx"),
            models.Index("item", "contact", name="feedback_ev_item_contact_idx"),
            models.Index("item", "company", name="feedback_ev_item_company_idx"),
            models.Index("created_at", "item", name="feedback_ev_time_item_idx"),
            # Covering index for the live ranking with a period filter: index-only scans that read every
            # figure's column without touching the table (PostgreSQL; other databases skip INCLUDE indexes
            # and keep the plain one above).
            models.Index(
                fields=["created_at", "item"],
                include=["contact", "company", "importance"],
                name="feedback_ev_time_cover_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Evidence for FB-{self.item_id}"


class StatusChange(models.Model):
    """One step of an item's status history: who, when, from, to, and why."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=20, choices=ItemStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=ItemStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        indexes = [models.Index("item", "created_at", name="feedback_status_item_idx")]

    def __str__(self) -> str:
        return f"FB-{self.item_id}: {self.from_status or '-'} → {self.to_status}"


class EngineeringLink(models.Model):
    """A link to the engineering tracker's issue for an item: GitHub, GitLab, Jira, Linear (whose webhooks propose
    shipping the item when the issue closes, automation/trackers.py) or another tracker."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="links")
    tracker = models.CharField(_("tracker"), max_length=20, choices=Tracker.choices, default=Tracker.OTHER)
    url = models.URLField(_("URL"), max_length=500)
    key = models.CharField(_("key"), max_length=100, blank=True, help_text=_("e.g. PROJ-123 or org/repo#45"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("engineering link")
        verbose_name_plural = _("engineering links")
        constraints = [models.UniqueConstraint(fields=["item", "url"], name="%(app_label)s_%(class)s_unique_url")]
        # Tracker webhooks find the links of an issue by its key (org/repo#45, PROJ-123, ENG-7) or URL.
        indexes = [
            models.Index("tracker", "key", name="feedback_link_tracker_key_idx"),
            models.Index("url", name="feedback_link_url_idx"),
        ]

    def __str__(self) -> str:
        return self.key or self.url


class ItemStats(models.Model):
    """Rollup of an item's evidence, kept exact by every service that changes evidence.

    Why: ranking 10,000 items over 1,000,000 evidence rows by distinct counts cannot scan the evidence in
    200 ms. `mrr` sums the *current* MRR of the distinct companies; a company's MRR change is picked up by
    `rollups.stats_refresh_stale_mrr()` (watermark on Company.updated_at) before ranking, and the 4-week trend
    by `rollups.stats_refresh_stale_trend()` when a new week starts.
    """

    item = models.OneToOneField(FeedbackItem, primary_key=True, on_delete=models.CASCADE, related_name="stats")
    mentions = models.PositiveIntegerField(default=0)
    unique_contacts = models.PositiveIntegerField(default=0)
    unique_companies = models.PositiveIntegerField(default=0)
    blocker_contacts = models.PositiveIntegerField(default=0)
    mrr = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    first_heard = models.DateTimeField(null=True, blank=True)
    last_heard = models.DateTimeField(null=True, blank=True)
    # Mentions in the last 4 weeks and the 4 before, as of the week starting `trend_week`. The week rolls over
    # without any write, so selectors refresh rows whose trend_week is not the current week (once a week).
    recent_4w = models.PositiveIntegerField(default=0)
    previous_4w = models.PositiveIntegerField(default=0)
    trend_week = models.DateField(null=True, blank=True, db_index=True)
    # The ItemPlanStats rows of this item exist (False after a bulk load or the migration that added them: the
    # first plan-filtered ranking computes them). `plan_overlap`: some contact of this item was heard through
    # companies now on different plans, so per-plan contact counts cannot be added up for a multi-plan filter.
    plans_computed = models.BooleanField(default=False, db_index=True)
    plan_overlap = models.BooleanField(default=False)
    # The ItemWeek rows carry the "since this week" figures (False after the migration that added them: the
    # first period-filtered ranking computes them).
    windows_computed = models.BooleanField(default=False, db_index=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-unique_contacts"]
        verbose_name = _("item statistics")
        verbose_name_plural = _("item statistics")
        indexes = [
            # The public board's "most wanted" and "trending" sorts walk these instead of sorting every item.
            models.Index(models.F("unique_contacts").desc(), models.F("item").desc(), name="feedback_stats_wanted_idx"),
            models.Index(
                (models.F("recent_4w") - models.F("previous_4w")).desc(),
                models.F("item").desc(),
                name="feedback_stats_growth_idx",
            ),
            # The public board's ETag: the latest recount of any item (a removed evidence, a deleted contact).
            models.Index(fields=["computed_at"], name="feedback_stats_computed_idx"),
        ]

    def __str__(self) -> str:
        return f"FB-{self.item_id}: {self.mentions} mentions, {self.unique_contacts} contacts"


class ItemWeek(models.Model):
    """Mentions of an item per week (week starting Monday, workspace time zone). Rollup, kept with ItemStats.

    The `since_*` figures count the evidence of this week and every later one, so a ranking for "since the
    Monday of week W" reads one row per item (its first row at or after W) instead of aggregating evidence.
    Distinct counts work because a contact was heard since W exactly when its last evidence on the item is:
    each contact (company, blocker contact) is counted in the week of its last evidence, then summed from
    the newest week back. `since_mrr` sums the current MRR of those companies (refreshed with ItemStats.mrr).
    """

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="weeks")
    week_start = models.DateField()
    mentions = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(null=True, blank=True, help_text="the week's earliest evidence")
    since_mentions = models.PositiveIntegerField(default=0)
    since_contacts = models.PositiveIntegerField(default=0)
    since_companies = models.PositiveIntegerField(default=0)
    since_blocker_contacts = models.PositiveIntegerField(default=0)
    since_mrr = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["item_id", "week_start"]
        constraints = [models.UniqueConstraint(fields=["item", "week_start"], name="%(app_label)s_%(class)s_unique")]
        indexes = [models.Index("week_start", "item", name="feedback_week_start_idx")]

    def __str__(self) -> str:
        return f"FB-{self.item_id} {self.week_start}: {self.mentions}"


class ItemPlanStats(models.Model):
    """Rollup of an item's evidence per CURRENT plan of the evidence's company (evidence without a company has no row).

    Why: ranking with a plan filter must not aggregate 1,000,000 evidence rows. Same figures as ItemStats over the
    evidence whose company is now on `plan`; rebuilt by `rollups.stats_recompute` with ItemStats, and for the
    items of companies whose plan or MRR changed by `rollups.stats_refresh_stale_mrr()`. Companies are on one
    plan, so mentions, companies and MRR add up across plans; contacts add up unless ItemStats.plan_overlap.
    """

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="plan_stats")
    plan = models.CharField(max_length=20, choices=Plan.choices)
    mentions = models.PositiveIntegerField(default=0)
    unique_contacts = models.PositiveIntegerField(default=0)
    unique_companies = models.PositiveIntegerField(default=0)
    blocker_contacts = models.PositiveIntegerField(default=0)
    mrr = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    first_heard = models.DateTimeField(null=True, blank=True)
    last_heard = models.DateTimeField(null=True, blank=True)
    recent_4w = models.PositiveIntegerField(default=0)
    previous_4w = models.PositiveIntegerField(default=0)
    trend_week = models.DateField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["item_id", "plan"]
        verbose_name = _("item statistics per plan")
        verbose_name_plural = _("item statistics per plan")
        constraints = [models.UniqueConstraint(fields=["item", "plan"], name="%(app_label)s_%(class)s_unique")]
        indexes = [models.Index("plan", "item", name="feedback_planstats_plan_idx")]

    def __str__(self) -> str:
        return f"FB-{self.item_id} {self.plan}: {self.mentions} mentions"


class FeedbackSettings(models.Model):
    """The workspace's feedback settings (one row): ranking score weights and the closing-the-loop sender.

    score = w_contacts·unique contacts + w_companies·unique companies + w_mrr·(MRR / 1000)
            + w_blockers·contacts who called it a blocker + w_trend·(mentions last 4 weeks − the 4 before)
    See docs/feedback-scoring.md.
    """

    workspace_name = models.CharField(_("workspace name"), max_length=100, default="supportloop")
    w_contacts = models.FloatField(_("weight: unique contacts"), default=1.0)
    w_companies = models.FloatField(_("weight: unique companies"), default=2.0)
    w_mrr = models.FloatField(_("weight: MRR per 1,000"), default=1.0)
    w_blockers = models.FloatField(_("weight: blocker contacts"), default=3.0)
    w_trend = models.FloatField(_("weight: 4-week trend"), default=0.5)
    notice_from_email = models.EmailField(
        _("closing-the-loop sender"), blank=True, help_text=_("Empty: DEFAULT_FROM_EMAIL.")
    )
    mrr_watermark = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("feedback settings")
        verbose_name_plural = _("feedback settings")

    def __str__(self) -> str:
        return f"Feedback settings ({self.workspace_name})"


class NoticeTemplate(models.Model):
    """The workspace's message to a customer when their request ships or is declined, one row per language.

    Body and subject are Django templates with {{ name }}, {{ item_title }}, {{ release_note }},
    {{ decline_reason }} and {{ workspace }}.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))

    class Meta:
        ordering = ["kind", "language"]
        verbose_name = _("closing-the-loop template")
        verbose_name_plural = _("closing-the-loop templates")
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="%(app_label)s_%(class)s_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"


class ClosingNotice(models.Model):
    """One contact told about one item's outcome. The unique (item, contact, kind) makes the mail idempotent.

    Queued (pending) → an attempt claims it (sending) → sent; a failed attempt queues it again after a backoff
    until the last one gives up (failed), when a product manager may retry it. Every attempt carries the same
    Message-ID, so a repeat that reaches the customer is recognised as the same message.
    """

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="notices")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="feedback_notices")
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.PENDING)
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_notices",
        verbose_name=_("originating ticket"),
    )
    error = models.TextField(_("last error"), blank=True, help_text=_("Or why the contact is not mailed."))
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("closing-the-loop notice")
        verbose_name_plural = _("closing-the-loop notices")
        constraints = [
            models.UniqueConstraint(fields=["item", "contact", "kind"], name="%(app_label)s_%(class)s_once"),
        ]
        indexes = [
            models.Index("sent_at", name="feedback_notice_sent_idx"),
            models.Index("status", "next_attempt_at", name="feedback_notice_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} notice of FB-{self.item_id} to contact {self.contact_id}"


class DigestDelivery(models.Model):
    """The weekly digest of one week mailed to one product manager: at most once (a database fact), with
    the error of a failed attempt until a later run sends it."""

    week_start = models.DateField(_("week"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-week_start", "user_id"]
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        constraints = [models.UniqueConstraint(fields=["week_start", "user"], name="feedback_digest_once")]

    def __str__(self) -> str:
        return f"digest {self.week_start} to {self.user_id}"


class TrackerDelivery(models.Model):
    """One inbound webhook delivery from an engineering tracker (GitHub, GitLab, Jira, Linear), verified or not.

    Verified deliveries are unique per (tracker, delivery id), the provider's own id of the delivery, so a
    redelivery is recognised and acts once; deliveries whose signature failed are kept (without their body) for an
    operator to see who is knocking, and never block the real delivery of the same id."""

    tracker = models.CharField(_("tracker"), max_length=20, choices=Tracker.choices)
    delivery_id = models.CharField(_("delivery id"), max_length=200)
    event = models.CharField(_("event"), max_length=100, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=DeliveryOutcome.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("tracker delivery")
        verbose_name_plural = _("tracker deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["tracker", "delivery_id"],
                condition=~Q(outcome="rejected"),
                name="%(app_label)s_%(class)s_once",
            ),
        ]
        indexes = [models.Index("outcome", "received_at", name="feedback_delivery_outcome_idx")]

    def __str__(self) -> str:
        return f"{self.tracker} {self.delivery_id}: {self.outcome}"


class ShipProposal(models.Model):
    """The tracker says a linked issue is closed (done): a proposal, shown to the product manager on the item
    page, to mark the item shipped. It never ships the item by itself; accepting goes through the normal
    status change (with its confirmation and the customers told), dismissing leaves the item as it is."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="ship_proposals")
    link = models.ForeignKey(
        EngineeringLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="ship_proposals"
    )
    tracker = models.CharField(_("tracker"), max_length=20, choices=Tracker.choices)
    issue = models.CharField(_("issue"), max_length=200)
    issue_url = models.URLField(_("issue URL"), max_length=500, blank=True)
    delivery = models.ForeignKey(TrackerDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ship proposal")
        verbose_name_plural = _("ship proposals")
        constraints = [
            # One open proposal per item and issue: a second "closed" of the same issue adds nothing.
            models.UniqueConstraint(
                fields=["item", "tracker", "issue"],
                condition=Q(status="pending"),
                name="%(app_label)s_%(class)s_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"FB-{self.item_id}: {self.tracker} {self.issue} ({self.status})"
