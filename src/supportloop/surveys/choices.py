from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT")
    CES = "ces", _("CES")
    NPS = "nps", _("NPS")


class CsatScale(models.TextChoices):
    GOOD_BAD = "good_bad", _("Good / bad")
    FIVE = "five", _("1 to 5")


class SendStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent")
    FAILED = "failed", _("Failed")


class Sentiment(models.TextChoices):
    """How a score reads: CSAT good/bad (1-5: 4-5 good, 3 neutral, 1-2 bad), NPS promoter 9-10 / passive 7-8 /
    detractor 0-6, CES 5-7 easy / 4 neutral / 1-3 hard."""

    GOOD = "good", _("Good")
    NEUTRAL = "neutral", _("Neutral")
    BAD = "bad", _("Bad")


class BadRatingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    HANDLED = "handled", _("Handled")
    WITHDRAWN = "withdrawn", _("Withdrawn (the customer changed the score)")


class BadRatingReason(models.TextChoices):
    SUPPORT = "support", _("Support issue")
    PRODUCT = "product", _("Product issue")
    POLICY = "policy", _("Policy")
    OTHER = "other", _("Other")


class Window(models.TextChoices):
    """Which date puts a response into a report's period."""

    RATED = "rated", _("By rated date")
    SOLVED = "solved", _("By solved date")


# The score range of each kind (and CSAT scale): anything else is refused.
SCORE_RANGES: dict[str, tuple[int, int]] = {
    "csat:good_bad": (0, 1),
    "csat:five": (1, 5),
    "ces": (1, 7),
    "nps": (0, 10),
}


def score_range(kind: str, scale: str = "") -> tuple[int, int]:
    return SCORE_RANGES[f"{kind}:{scale}"] if kind == SurveyKind.CSAT else SCORE_RANGES[kind]


def sentiment_of(kind: str, scale: str, score: int) -> str:
    if kind == SurveyKind.CSAT:
        if scale == CsatScale.GOOD_BAD:
            return Sentiment.GOOD if score == 1 else Sentiment.BAD
        return Sentiment.GOOD if score >= 4 else Sentiment.BAD if score <= 2 else Sentiment.NEUTRAL
    if kind == SurveyKind.NPS:
        return Sentiment.GOOD if score >= 9 else Sentiment.BAD if score <= 6 else Sentiment.NEUTRAL
    return Sentiment.GOOD if score >= 5 else Sentiment.BAD if score <= 3 else Sentiment.NEUTRAL
