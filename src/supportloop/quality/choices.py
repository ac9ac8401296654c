from django.db import models
from django.utils.translation import gettext_lazy as _


class Scale(models.TextChoices):
    PASS_FAIL = "pass_fail", _("Pass / fail")
    ONE_TO_FIVE = "one_to_five", _("1-5")


class ReviewStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    DONE = "done", _("Done")


class SampledBecause(models.TextChoices):
    RANDOM = "random", _("Random sample")
    BAD_CSAT = "bad_csat", _("Bad CSAT")
    MANUAL = "manual", _("Picked by a lead")


# The score range of each scale: anything else is refused.
SCALE_RANGES = {Scale.PASS_FAIL: (0, 1), Scale.ONE_TO_FIVE: (1, 5)}
