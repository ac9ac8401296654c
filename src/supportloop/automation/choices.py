"""Choices of automation's routing and assignment (other parts keep theirs beside them in this module)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentMethod(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class AwayReassignment(models.TextChoices):
    """What happens to an agent's open tickets of a team when the agent sets themselves away."""

    LEAVE = "leave", _("Leave them with the agent")
    UNASSIGN = "unassign", _("Return them to the team, unassigned")
    REASSIGN = "reassign", _("Reassign them by the team's method")


# -- outbound webhooks and chat integrations ---------------------------------------------------------------------
class WebhookEventType(models.TextChoices):
    """What an endpoint can subscribe to: the ticket events (tickets.hooks.TicketEventKind) as `ticket.<kind>`."""

    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated")
    TICKET_REPLIED = "ticket.replied", _("Public reply by an agent")
    TICKET_NOTED = "ticket.noted", _("Internal note")
    TICKET_CUSTOMER_REPLIED = "ticket.customer_replied", _("Customer replied")
    TICKET_RATED = "ticket.rated", _("Ticket rated")
    TICKET_SLA_WARNING = "ticket.sla_warning", _("SLA warning")
    TICKET_SLA_BREACH = "ticket.sla_breach", _("SLA breach")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting for its first attempt or a retry (next_attempt_at)
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")  # gave up after the last attempt
    SKIPPED = "skipped", _("Skipped")  # the endpoint or integration was disabled or deleted before it went


class ChatKind(models.TextChoices):
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")


class FiringOutcome(models.TextChoices):
    FIRED = "fired", _("Fired")
    CAPPED = "capped", _("Stopped by the loop cap")
    FAILED = "failed", _("Failed")


class IncidentStatus(models.TextChoices):
    DECLARED = "declared", _("Declared")
    RESOLVED = "resolved", _("Resolved")


class IncidentLinkSource(models.TextChoices):
    """How a ticket came to be linked to an incident."""

    MATCHED = "matched", _("Matched on arrival")
    MANUAL = "manual", _("Linked by hand")
