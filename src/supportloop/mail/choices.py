from django.db import models
from django.utils.translation import gettext_lazy as _


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("TLS (implicit, port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    NONE = "none", _("None (local test servers only)")


class ClosedTicketRule(models.TextChoices):
    REOPEN = "reopen", _("Reopen the closed ticket")
    NEW_TICKET = "new", _("Open a new ticket linked to the closed one")


class InboundSource(models.TextChoices):
    IMAP = "imap", _("IMAP")
    WEBHOOK = "webhook", _("Provider webhook")
    RAW = "raw", _("Raw MIME endpoint")
    RELEASE = "release", _("Released from quarantine")


class InboundOutcome(models.TextChoices):
    TICKET = "ticket", _("New ticket")
    THREADED = "threaded", _("Added to a ticket")
    QUARANTINED = "quarantined", _("Quarantined")
    DUPLICATE = "duplicate", _("Skipped: received before")


class QuarantineReason(models.TextChoices):
    UNPARSEABLE = "unparseable", _("Could not be parsed")
    NO_SENDER = "no_sender", _("No usable sender address")
    OWN_ADDRESS = "own_address", _("Sent from one of our own mailboxes (loop)")
    BOUNCE = "bounce", _("Bounce or delivery report")
    AUTO_REPLY = "auto_reply", _("Automatic reply that matches no ticket")
    MACHINE = "machine", _("Report or notice sent by a machine")
    RATE_LIMITED = "rate_limited", _("Sender exceeded the rate limit")
    OVERSIZE = "oversize", _("Larger than the inbound size limit")
    REJECTED = "rejected", _("Refused by the ticket rules")
    ERROR = "error", _("Unexpected error while ingesting")


class AuthVerdict(models.TextChoices):
    UNKNOWN = "", _("Unknown (no Authentication-Results of ours)")
    PASS = "pass", _("Sender's domain authenticated")
    FAIL = "fail", _("Sender failed SPF/DKIM/DMARC")
    NONE = "none", _("Checked, nothing decided")


class AutomaticMailKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement of a new ticket")
    NOTICE = "notice", _("Notice (closing the loop, triggers)")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")
