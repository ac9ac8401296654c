"""Mailboxes, the ledger of inbound mail, the quarantine and outbound delivery state.

Tickets and messages themselves live in the tickets app; this app only keeps what is specific to email.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.mail.choices import (
    AuthVerdict,
    AutomaticMailKind,
    ClosedTicketRule,
    ImapSecurity,
    InboundOutcome,
    InboundSource,
    ProposalStatus,
    QuarantineReason,
)


class Mailbox(models.Model):
    """A support address customers write to, read over IMAP and/or fed by a provider's inbound webhook."""

    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(
        _("address"),
        max_length=254,
        unique=True,
        help_text=_("Replies are sent from this address; plus-addresses of it thread."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    imap_host = models.CharField(
        _("IMAP host"), max_length=255, blank=True, help_text=_("Leave empty for a mailbox fed only by webhooks.")
    )
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    imap_processed_folder = models.CharField(
        _("move processed mail to"),
        max_length=200,
        blank=True,
        help_text=_("Optional folder; when empty, processed mail is only flagged as seen."),
    )
    imap_username = models.CharField(_("IMAP user name"), max_length=254, blank=True)
    # Fernet token (see mail/crypto.py); never shown, set with the admin form's password field.
    imap_password_encrypted = models.TextField(_("IMAP password (encrypted)"), blank=True, editable=False)
    imap_password_env = models.CharField(
        _("IMAP password environment variable"),
        max_length=100,
        blank=True,
        help_text=_("Name of an environment variable holding the password; used instead of a stored one."),
    )

    # sha256 of the token that authenticates the raw-MIME endpoint; the token itself is shown once.
    inbound_token_hash = models.CharField(_("inbound token hash"), max_length=64, blank=True, editable=False)

    autoresponder_enabled = models.BooleanField(_("auto-responder"), default=True)
    autoresponder_templates = models.JSONField(
        _("auto-responder templates"),
        default=dict,
        blank=True,
        help_text=_(
            'Overrides per language: {"en": {"subject": "...", "body": "..."}, "ru": {...}}. '
            "Variables: {{ ticket_number }}, {{ subject }}, {{ contact_name }}, "
            "{{ expected_response_time }}, {{ help_center_url }}."
        ),
    )
    expected_response_time = models.CharField(
        _("expected response time"), max_length=200, blank=True, default="one business day"
    )
    help_center_url = models.URLField(_("help center link"), blank=True)
    autoresponder_max_per_hour = models.PositiveIntegerField(
        _("acknowledgements per hour at most"),
        default=200,
        help_text=_("Beyond this many in an hour, acknowledgements pause and admins are told. 0: no ceiling."),
    )
    autoresponder_paused_at = models.DateTimeField(
        _("acknowledgements paused since"), null=True, blank=True, editable=False
    )
    closed_ticket_rule = models.CharField(
        _("reply to a closed ticket"),
        max_length=10,
        choices=ClosedTicketRule.choices,
        default=ClosedTicketRule.NEW_TICKET,
    )
    rate_limit_messages = models.PositiveIntegerField(
        _("rate limit: messages per sender"), default=30, help_text=_("0 turns the limit off.")
    )
    rate_limit_window_minutes = models.PositiveIntegerField(_("rate limit: window in minutes"), default=60)

    imap_uidvalidity = models.BigIntegerField(_("IMAP UIDVALIDITY"), null=True, blank=True, editable=False)
    imap_last_uid = models.BigIntegerField(_("last IMAP UID ingested"), default=0, editable=False)
    # The server was told (flagged \Seen or moved) up to here; a poll killed between its commit and the flag
    # leaves it below imap_last_uid, and the next poll finishes the job (imap.py, docs/crash-safety.md).
    imap_done_uid = models.BigIntegerField(_("last IMAP UID flagged or moved"), default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_poll_error = models.TextField(_("last poll error"), blank=True, editable=False)
    last_poll_ok_at = models.DateTimeField(_("last successful poll"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class TicketMailbox(models.Model):
    """Which mailbox a ticket arrived through: replies are sent from its address."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="mailbox_link"
    )
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="ticket_links")

    class Meta:
        ordering = ["ticket"]
        verbose_name = _("ticket mailbox")

    def __str__(self) -> str:
        return f"#{self.ticket_id} via {self.mailbox_id}"


class InboundMail(models.Model):
    """One received email and what became of it, or one skipped copy of a message received before.

    The key is unique among the rows that stored something (a partial unique index), which makes re-polls
    and retries idempotent; every skip adds a row of its own with outcome `duplicate` and the reason."""

    # The Message-ID without angle brackets; "sha256:<content digest>" when it has none; "<Message-ID>
    # sha256:<digest prefix>" for a second, different message that reused a Message-ID.
    message_key = models.CharField(_("message key"), max_length=500)
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound")
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    imap_uid = models.BigIntegerField(_("IMAP UID"), null=True, blank=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=InboundOutcome.choices)
    automatic = models.CharField(
        _("automatic mail"),
        max_length=40,
        blank=True,
        help_text=_("Why this looked like an auto-reply, bounce or list mail."),
    )
    content_digest = models.CharField(
        _("content digest"),
        max_length=64,
        blank=True,
        help_text=_("sha256 of the sender's headers and body (not the trace headers)."),
    )
    auth_verdict = models.CharField(_("sender authentication"), max_length=4, choices=AuthVerdict.choices, blank=True)
    auth_summary = models.CharField(_("Authentication-Results"), max_length=200, blank=True)
    note = models.TextField(
        _("note"), blank=True, help_text=_("Why a copy was skipped, or that a reused Message-ID was stored separately.")
    )
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.ForeignKey("tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    quarantine = models.ForeignKey(
        "mail.Quarantine", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mail")
        indexes = [models.Index("sender", "received_at", name="mail_inbound_sender_idx")]
        constraints = [
            models.UniqueConstraint(
                "message_key", condition=~models.Q(outcome=InboundOutcome.DUPLICATE), name="mail_inbound_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_key} → {self.outcome}"


def quarantine_path(instance: Quarantine, filename: str) -> str:
    return f"quarantine/{timezone.now():%Y/%m}/{filename}"


class Quarantine(models.Model):
    """A received message that did not become a ticket message, kept whole with the reason, for admins."""

    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="quarantine")
    reason = models.CharField(_("reason"), max_length=20, choices=QuarantineReason.choices)
    detail = models.TextField(_("detail"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    message_key = models.CharField(_("message key"), max_length=500, blank=True, db_index=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    # In the database rather than file storage, so it commits or rolls back with the rest of the ingest;
    # except for mail over SUPPORTLOOP_MAX_INBOUND_BYTES: then `raw` holds its header block only and the whole
    # message is in file storage (`raw_file`), so a 30 MB mail never sits in a database row.
    raw = models.BinaryField(_("raw message"))
    raw_file = models.FileField(_("raw message file"), upload_to=quarantine_path, max_length=300, blank=True)
    raw_size = models.PositiveBigIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("quarantined"), default=timezone.now, db_index=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quarantined mail")
        verbose_name_plural = _("quarantined mail")

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.subject or self.message_key}"


class OutboundDelivery(models.Model):
    """Attempts to send one agent reply by email; the message row carries the visible status."""

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, primary_key=True, related_name="mail_delivery"
    )
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-last_attempt_at"]
        verbose_name = _("outbound delivery")

    def __str__(self) -> str:
        return f"message {self.message_id}: {self.attempts} attempt(s)"


class AutoResponse(models.Model):
    """The acknowledgement sent for a new email ticket; one per ticket at most (a database fact)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="mail_autoresponse"
    )
    mailbox = models.ForeignKey(Mailbox, null=True, on_delete=models.SET_NULL, related_name="+")
    message_id = models.CharField(_("Message-ID"), max_length=500, unique=True)
    recipient = models.CharField(_("recipient"), max_length=320)
    language = models.CharField(_("language"), max_length=10, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    skipped_reason = models.CharField(_("not sent because"), max_length=200, blank=True)

    class Meta:
        ordering = ["-ticket"]
        verbose_name = _("auto-response")

    def __str__(self) -> str:
        return f"ack for #{self.ticket_id}"


class AutomaticMail(models.Model):
    """One automatic mail (acknowledgement, notice) the guard let through or held back; it counts the limits."""

    recipient = models.CharField(_("recipient"), max_length=320)
    kind = models.CharField(_("kind"), max_length=20, choices=AutomaticMailKind.choices)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    blocked_reason = models.CharField(_("held back because"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("automatic mail")
        verbose_name_plural = _("automatic mail")
        indexes = [
            models.Index("recipient", "created_at", name="mail_automatic_recipient_idx"),
            models.Index("mailbox", "kind", "created_at", name="mail_automatic_mailbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient}" + (
            f" (held back: {self.blocked_reason})" if self.blocked_reason else ""
        )


class FollowerProposal(models.Model):
    """An address a customer's mail put in To/Cc that may become a follower once an agent accepts it: mail
    whose sender did not authenticate cannot add people to a conversation by itself."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="follower_proposals")
    email = models.EmailField(_("address"), max_length=254)
    status = models.CharField(
        _("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    message = models.ForeignKey(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The mail that named the address."),
    )
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["ticket", "created_at", "id"]
        verbose_name = _("follower proposal")
        constraints = [models.UniqueConstraint("ticket", "email", name="mail_followerproposal_unique")]

    def __str__(self) -> str:
        return f"{self.email} on #{self.ticket_id}: {self.status}"


class OutboxMessage(models.Model):
    """A mail "sent" in development and demo mode: the Outbox email backend (mail.outbox) keeps it here instead
    of handing it to a mail server, so nobody outside is ever mailed and admins can read what went out."""

    from_email = models.CharField(_("from"), max_length=320)
    to = models.TextField(_("to"), help_text=_("Recipients, comma-separated (To, Cc and Bcc)."))
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    body = models.TextField(_("body"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("outbox message")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
