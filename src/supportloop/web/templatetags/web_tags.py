"""Label filters for values that arrive as raw codes (from `.values()` rows and selector dicts)."""

from django import template

from supportloop.customers.choices import Plan
from supportloop.tickets.choices import Status

register = template.Library()


@register.filter
def ticket_status(code: str) -> str:
    return dict(Status.choices).get(code, code)


@register.filter
def plan_label(code: str) -> str:
    return dict(Plan.choices).get(code, "—")  # "none": evidence without a company


@register.filter
def severity_label(code: str) -> str:
    from supportloop.feedback.choices import Severity

    return dict(Severity.choices).get(code, code)


@register.filter
def grouped(number: int) -> str:
    """A number with the active language's thousands separator (10,485,761)."""
    from django.utils.formats import number_format

    return number_format(number, force_grouping=True)


@register.simple_tag
def outbox_on() -> bool:
    """Development and demo mode keep sent mail in the Outbox (settings.SUPPORTLOOP_OUTBOX)."""
    from django.conf import settings

    return bool(getattr(settings, "SUPPORTLOOP_OUTBOX", False))
