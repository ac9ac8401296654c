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


class IncidentStatus(models.TextChoices):
    DECLARED = "declared", _("Declared")
    RESOLVED = "resolved", _("Resolved")


class IncidentLinkSource(models.TextChoices):
    """How a ticket came to be linked to an incident."""

    MATCHED = "matched", _("Matched on arrival")
    MANUAL = "manual", _("Linked by hand")
