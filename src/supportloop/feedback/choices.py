"""Choices of the feedback app: kinds, statuses, importance and the bug-report pick-lists."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    FEATURE_REQUEST = "feature_request", _("Feature request")
    BUG = "bug", _("Bug")
    IMPROVEMENT = "improvement", _("Improvement")


class ItemStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    SHIPPED = "shipped", _("Shipped")
    DECLINED = "declined", _("Declined")
    MERGED = "merged", _("Merged")


# Statuses a product manager may set by hand; `merged` is only reached through a merge.
SETTABLE_STATUSES = tuple(s for s in ItemStatus.values if s != ItemStatus.MERGED)
OPEN_STATUSES = (ItemStatus.NEW, ItemStatus.UNDER_REVIEW, ItemStatus.PLANNED, ItemStatus.IN_PROGRESS)


class Importance(models.TextChoices):
    NICE_TO_HAVE = "nice_to_have", _("Nice to have")
    IMPORTANT = "important", _("Important")
    BLOCKER = "blocker", _("Blocker")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical: data loss or no workaround")
    MAJOR = "major", _("Major: a main function fails")
    MINOR = "minor", _("Minor: a workaround exists")
    TRIVIAL = "trivial", _("Trivial: cosmetic")


class Frequency(models.TextChoices):
    ALWAYS = "always", _("Always")
    OFTEN = "often", _("Often")
    SOMETIMES = "sometimes", _("Sometimes")
    RARELY = "rarely", _("Rarely")
    ONCE = "once", _("Happened once")


# Always accepted by the version and environment pick-lists, and the bug form's default for them: a bug filed from a
# ticket rarely knows them, and a report that says so beats one that cannot be filed (issue 12, defect 4).
PICKLIST_UNKNOWN = "Unknown"


class PickListField(models.TextChoices):
    """Which bug-report field an admin-editable pick-list option belongs to."""

    VERSION = "version", _("Version / build")
    BROWSER = "environment_browser", _("Browser")
    OS = "environment_os", _("Operating system")
    DEVICE = "environment_device", _("Device")


class NoticeKind(models.TextChoices):
    SHIPPED = "shipped", _("Shipped")
    DECLINED = "declined", _("Declined")


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Told")
    SKIPPED = "skipped", _("Not mailed")
    FAILED = "failed", _("Failed")


class Tracker(models.TextChoices):
    JIRA = "jira", "Jira"
    GITHUB = "github", "GitHub"
    LINEAR = "linear", "Linear"
    GITLAB = "gitlab", "GitLab"
    OTHER = "other", _("Other")


class DeliveryOutcome(models.TextChoices):
    """What became of one inbound tracker webhook delivery."""

    PROPOSED = "proposed", _("Ship proposed")
    IGNORED = "ignored", _("Ignored")  # verified, but not an issue closing, or no linked item
    REJECTED = "rejected", _("Bad signature")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a product manager")
    ACCEPTED = "accepted", _("Shipped")
    DISMISSED = "dismissed", _("Dismissed")
