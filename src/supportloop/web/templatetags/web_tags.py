"""Label filters for values that arrive as raw codes (from `.values()` rows and selector dicts)."""

from django import template

from supportloop.customers.choices import Plan
from supportloop.feedback.choices import Severity
from supportloop.tickets.choices import Status

register = template.Library()


@register.filter
def ticket_status(code: str) -> str:
    return str(dict(Status.choices).get(code, code))


@register.filter
def plan_label(code: str) -> str:
    return str(dict(Plan.choices).get(code, "—"))  # "none": evidence without a company


@register.filter
def severity_label(code: str) -> str:
    return str(dict(Severity.choices).get(code, code))


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


@register.filter
def money(amount) -> str:
    """An amount in the workspace's currency (settings.SUPPORTLOOP_CURRENCY), written the way the active
    language writes money: $1,234.50 (en), 1 234,50 $ (ru), US$1,234.50 (zh-hans). Empty for no amount."""
    return money_format(amount)


def money_format(amount, currency: str | None = None) -> str:
    from babel.numbers import format_currency
    from django.conf import settings
    from django.utils.translation import get_language, to_locale

    if amount is None or amount == "":
        return ""
    locale = to_locale(get_language() or settings.LANGUAGE_CODE)
    return format_currency(amount, currency or settings.SUPPORTLOOP_CURRENCY, locale=locale)


_dialogs: dict[tuple[str, bool], str] = {}


@register.simple_tag(takes_context=True)
def layout_dialogs(context) -> str:
    """The "?" shortcuts dialog and the command palette of every staff page. Their HTML depends only on the
    language and on the user's single-key setting, so each variant is rendered once per process (about 1 ms of
    template work a page otherwise); in DEBUG they render every time, so template edits show at once."""
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe
    from django.utils.translation import get_language

    user = context.get("user")
    key = (get_language() or "", bool(getattr(user, "keyboard_shortcuts", True)))
    html = None if settings.DEBUG else _dialogs.get(key)
    if html is None:
        html = render_to_string("web/partials/shortcuts.html", {"user": user}) + render_to_string(
            "web/partials/palette.html"
        )
        _dialogs[key] = html
    return mark_safe(html)  # noqa: S308 - rendered by Django's autoescaping templates above
