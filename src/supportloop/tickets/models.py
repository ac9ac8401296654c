"""Tickets, their messages and attachments, the shared taxonomy and macros."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.tickets.choices import (
    ACTIVE_STATUSES,
    PRIORITY_RANK,
    AuthorType,
    Channel,
    DeliveryStatus,
    Direction,
    MessageKind,
    Priority,
    Status,
)


class ProductArea(models.Model):
    """First level of the product taxonomy, e.g. "Billing"."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    open_count: int  # not a column: the inbox sidebar's count of the area's active tickets

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("product area")
        verbose_name_plural = _("product areas")

    def __str__(self) -> str:
        return self.name


class ProductFeature(models.Model):
    """Second level of the product taxonomy: a feature inside an area, e.g. "Billing › Invoices"."""

    area = models.ForeignKey(ProductArea, on_delete=models.PROTECT, related_name="features")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["area__position", "area__name", "position", "name"]
        verbose_name = _("product feature")
        verbose_name_plural = _("product features")

    def __str__(self) -> str:
        return f"{self.area.name} › {self.name}"


class ContactReason(models.Model):
    """Why the customer wrote, e.g. "How-to question" or "Bug report"."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    is_catch_all = models.BooleanField(
        _("catch-all"), default=False, help_text=_("A vague bucket such as 'general' or 'other'.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("contact reason")
        verbose_name_plural = _("contact reasons")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free tag; lower-case, unique by name."""

    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """One customer conversation with support, numbered sequentially across the workspace."""

    number = models.BigIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    requester = models.ForeignKey("customers.Contact", on_delete=models.PROTECT, related_name="tickets")
    # Copied from the requester so a company's tickets are one index lookup (see RECIPES.md).
    company = models.ForeignKey(
        "customers.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    product_area = models.ForeignKey(
        ProductArea, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    product_feature = models.ForeignKey(
        ProductFeature, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    contact_reason = models.ForeignKey(
        ContactReason, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    language = models.CharField(_("language"), max_length=10, blank=True)
    followers = models.JSONField(_("followers (Cc)"), default=list, blank=True)
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    public_reply_count = models.PositiveIntegerField(_("public replies"), default=0)
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    # Position in the /changes feed, set by every service that changes the ticket or its messages.
    change_seq = models.BigIntegerField(_("change sequence"), default=0)
    # Queue shaping (docs/web.md), kept by the ticket and message services so each inbox sort is an index scan
    # and a row needs no query of its own.
    priority_rank = models.PositiveSmallIntegerField(
        _("priority rank"), default=PRIORITY_RANK[Priority.NORMAL], editable=False
    )
    # The oldest customer message that no public agent reply has followed yet; None when nobody is waiting.
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True, editable=False)
    last_customer_message_at = models.DateTimeField(_("last customer message"), null=True, blank=True, editable=False)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    last_message_preview = models.CharField(_("last message"), max_length=120, blank=True, editable=False)
    last_message_direction = models.CharField(
        _("last message from"), max_length=3, choices=Direction.choices, blank=True, default="", editable=False
    )
    # No constraint and no index: a display hint that the inbox maps through its list of agents (a removed
    # agent shows as "Agent"), and an index would only serve the rare user deletion.
    last_message_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        editable=False,
    )
    # Not columns: tickets_insert sets them on the tickets it returns, for callers (the API, the mail ingest)
    # that answer with the new ticket without reading it back.
    tag_names: list[str]
    first_message: Message

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(
                models.F("updated_at").desc(),
                models.F("id").desc(),
                condition=Q(status__in=ACTIVE_STATUSES),
                name="tickets_active_recent_idx",
            ),
            models.Index(models.F("updated_at").desc(), models.F("id").desc(), name="tickets_recent_idx"),
            models.Index(
                "status", "team", models.F("updated_at").desc(), models.F("id").desc(), name="tickets_status_team_idx"
            ),
            models.Index("assignee", "status", models.F("updated_at").desc(), name="tickets_assignee_idx"),
            models.Index("company", models.F("updated_at").desc(), models.F("id").desc(), name="tickets_company_idx"),
            models.Index("requester", models.F("updated_at").desc(), name="tickets_requester_idx"),
            models.Index("product_area", models.F("updated_at").desc(), name="tickets_area_idx"),
            models.Index("contact_reason", models.F("updated_at").desc(), name="tickets_reason_idx"),
            models.Index("created_at", name="tickets_created_idx"),
            models.Index("change_seq", "id", name="tickets_changes_idx"),
            # One partial index per inbox sort over the awake active tickets (web/selectors.py SORTS).
            models.Index(
                "waiting_since",
                "id",
                condition=Q(status__in=ACTIVE_STATUSES, snoozed_until__isnull=True, waiting_since__isnull=False),
                name="tickets_waiting_idx",
            ),
            models.Index(
                "priority_rank",
                models.F("updated_at").desc(),
                models.F("id").desc(),
                condition=Q(status__in=ACTIVE_STATUSES, snoozed_until__isnull=True),
                name="tickets_priority_idx",
            ),
            models.Index(
                models.F("created_at").desc(),
                models.F("id").desc(),
                condition=Q(status__in=ACTIVE_STATUSES, snoozed_until__isnull=True),
                name="tickets_active_created_idx",
            ),
            models.Index("snoozed_until", "id", condition=Q(snoozed_until__isnull=False), name="tickets_snoozed_idx"),
            # The hourly time rules (automation/services/time_rules.py) read one window of updated_at per state.
            models.Index("updated_at", condition=Q(status=Status.PENDING), name="tickets_pending_since_idx"),
            models.Index("updated_at", condition=Q(status=Status.SOLVED), name="tickets_solved_since_idx"),
            # The quality app's weekly sample reads one week of solved tickets (quality/services.py).
            models.Index("solved_at", condition=Q(solved_at__isnull=False), name="tickets_solved_at_idx"),
            models.Index(
                "updated_at",
                condition=Q(status__in=(Status.NEW, Status.OPEN), assignee__isnull=True),
                name="tickets_unassigned_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class TicketStatusCount(models.Model):
    """Exact number of tickets per status: a database view summing TicketRollup by status (migration 0004), so
    the services keep one rollup in one statement and this never drifts from it. Read-only."""

    status = models.CharField(max_length=10, choices=Status.choices, primary_key=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        managed = False  # a view: tickets/migrations/0006_queue.py creates it
        ordering = ["status"]

    def __str__(self) -> str:
        return f"{self.status}: {self.count}"


class TicketRollup(models.Model):
    """Exact number of tickets per (status, team, assignee, priority, snoozed), kept by the ticket services in
    their transaction (tickets/rollups.py), so a saved view's count is a sum over a few hundred rows instead of
    a COUNT(*) over the tickets. No team / no assignee is key 0 (a NULL would defeat the unique constraint)."""

    status = models.CharField(max_length=10, choices=Status.choices)
    team_key = models.BigIntegerField(default=0)
    assignee_key = models.BigIntegerField(default=0)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    snoozed = models.BooleanField(default=False)
    count = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["status", "team_key", "assignee_key", "priority", "snoozed"]
        constraints = [
            models.UniqueConstraint(
                fields=["status", "team_key", "assignee_key", "priority", "snoozed"],
                name="%(app_label)s_%(class)s_unique_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.status}/{self.team_key}/{self.assignee_key}/{self.priority}/{self.snoozed}: {self.count}"


class TicketRead(models.Model):
    """When an agent last opened a ticket's page: the ticket is unread for them while a customer message is
    newer (Ticket.last_customer_message_at > read_at). Bookkeeping like a session, so no audit event."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("Ticket", on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(_("read"), default=timezone.now)

    class Meta:
        ordering = ["-read_at"]
        verbose_name = _("ticket read marker")
        constraints = [
            models.UniqueConstraint(fields=["user", "ticket"], name="%(app_label)s_%(class)s_unique_user_ticket")
        ]
        indexes = [models.Index("ticket", name="tickets_read_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} read #{self.ticket_id} at {self.read_at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    """A public reply or an internal note on a ticket, by an agent, the customer or the system."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices, default=MessageKind.REPLY)
    author_type = models.CharField(_("author type"), max_length=10, choices=AuthorType.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("sanitised HTML"), blank=True)
    # The whole text as received, before quoted history and signatures were stripped.
    body_original = models.TextField(_("original text"), blank=True)
    external_message_id = models.CharField(_("external message id"), max_length=500, null=True, blank=True, unique=True)
    cc = models.JSONField(_("Cc"), default=list, blank=True)
    delivery_status = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.NONE, blank=True
    )
    delivery_error = models.TextField(_("delivery error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Undo send: an agent reply stays withdrawable until this moment and its mail leaves only after it (null: no
    # hold; see tickets/services/collab.py and SUPPORTLOOP_UNDO_SEND_SECONDS).
    held_until = models.DateTimeField(_("held until"), null=True, blank=True)
    # Not a column: the services that write a message (tickets_insert on each ticket's first message, ticket_reply,
    # ticket_add_note) set it, so a caller answers with the message without reading its attachments back.
    saved_attachments: list[Attachment]

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index("ticket", "created_at", "id", name="tickets_message_thread_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind == MessageKind.REPLY


class Draft(models.Model):
    """One agent's unsent composer text on one ticket, autosaved so it survives a reload, a crash or a move to
    another ticket; other agents see that it exists. Sending or discarding deletes it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices, default=MessageKind.REPLY)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [models.UniqueConstraint("ticket", "user", name="%(app_label)s_%(class)s_unique_ticket_user")]
        indexes = [models.Index("user", "ticket", name="tickets_draft_user_idx")]

    def __str__(self) -> str:
        return f"Draft by {self.user_id} on #{self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{instance.message_id}/{filename}"


class Attachment(models.Model):
    """A file received or sent with a message, kept through Django's storage API."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=500)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=200, default="application/octet-stream")
    size = models.PositiveBigIntegerField(_("size"))
    content_id = models.CharField(_("content id"), max_length=255, blank=True)
    is_inline = models.BooleanField(_("inline"), default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")

    def __str__(self) -> str:
        return self.filename


class Macro(models.Model):
    """A canned reply with placeholders and optional actions (status, priority, tags, team)."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    body = models.TextField(_("body"))
    actions = models.JSONField(_("actions"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")

    def __str__(self) -> str:
        return self.name


class MacroApplication(models.Model):
    """One use of a macro on a ticket, for usage counts over time."""

    macro = models.ForeignKey(Macro, on_delete=models.CASCADE, related_name="applications")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="macro_applications")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    applied_at = models.DateTimeField(_("applied"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-applied_at"]
        verbose_name = _("macro application")

    def __str__(self) -> str:
        return f"{self.macro} on #{self.ticket_id}"


class BulkChange(models.Model):
    """One bulk action from the inbox or the search results: the change applied to many tickets at once and each
    ticket's values before it, so the change can be undone (tickets/services/bulk.py)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(_("source"), max_length=20)  # the page it came from: "inbox", "search"
    # The values written: {"status": "pending"}, {"assignee": 3}, {"add_tag": "vip"} (ids for relations).
    applied = models.JSONField(_("applied"), default=dict)
    # {ticket id (str): {field: value before}}, for the tickets the change touched; "add_tag": whether the
    # ticket had the tag already (then undo keeps it).
    previous = models.JSONField(_("previous values"), default=dict)
    ticket_count = models.PositiveIntegerField(_("tickets"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk change")
        verbose_name_plural = _("bulk changes")

    def __str__(self) -> str:
        return f"bulk change {self.pk} ({self.ticket_count} tickets)"
