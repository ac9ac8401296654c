from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    LEAD = "lead", _("Lead")
    AGENT = "agent", _("Agent")
    PRODUCT = "product", _("Product manager")
    VIEWER = "viewer", _("Viewer")


class SignInOutcome(models.TextChoices):
    FAILED = "failed", _("Wrong name or password")
    LOCKED_OUT = "locked_out", _("Refused: too many failures")
    SECOND_FACTOR = "second_factor", _("Wrong two-factor code")


class SignInChannel(models.TextChoices):
    WEB = "web", _("Sign-in form")
    API = "api", _("API token")
