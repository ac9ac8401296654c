from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionAction(models.TextChoices):
    ANONYMISE = "anonymise", _("Anonymise")
    DELETE = "delete", _("Delete")
