from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# Ticket.priority_rank: the inbox's "priority" sort is an index scan on this small number, urgent first.
PRIORITY_RANK: dict[str, int] = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Direction(models.TextChoices):
    """Who wrote a ticket's latest public message: the customer (in) or an agent (out)."""

    NONE = "", _("None")
    IN = "in", _("From the customer")
    OUT = "out", _("From an agent")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Web form")
    API = "api", _("API")
    PHONE = "phone", _("Phone")


class AuthorType(models.TextChoices):
    AGENT = "agent", _("Agent")
    CONTACT = "contact", _("Contact")
    SYSTEM = "system", _("System")


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class DeliveryStatus(models.TextChoices):
    NONE = "", _("Not sent by mail")
    PENDING = "pending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
