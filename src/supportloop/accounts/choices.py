from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    LEAD = "lead", _("Lead")
    AGENT = "agent", _("Agent")
    PRODUCT = "product", _("Product manager")
    VIEWER = "viewer", _("Viewer")
