"""The Jinja2 environment for the hot pages (the inbox rows, the ticket workspace: docs/decisions/0003 and 0005).

Autoescaping is always on. Translations are Django's gettext, installed old-style: `_("...")` is plain gettext
(so `makemessages -e jinja` extracts it as it does from Django templates), and a message with placeholders is
formatted with the `format` filter, `_("Assigned to %(name)s")|format(name=...)`, under the same msgid as the
Django template's `{% blocktranslate %}`. The filters below are the Django ones those pages used, with the same
output (dates converted to the current time zone first, as Django's `date` filter is).
"""

from datetime import date, datetime
from typing import Any

from django.template import defaultfilters
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in django-stubs
from jinja2 import Environment

from supportloop.web.templatetags.web_tags import grouped, money, ticket_status


def url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


def date_format(value: date | datetime | None, fmt: str | None = None) -> str:
    if value in (None, ""):
        return ""
    return defaultfilters.date(template_localtime(value), fmt)


def environment(**options: Any) -> Environment:
    # The pages are HTML filled with customers' text: autoescape always (Django's backend passes True by default;
    # the views insert the rendered fragments into Django-template pages with mark_safe on the strength of it).
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.install_gettext_translations(translation, newstyle=False)  # type: ignore[attr-defined]
    env.globals["url"] = url
    env.filters.update(
        date=date_format,
        filesizeformat=defaultfilters.filesizeformat,
        grouped=grouped,
        money=money,
        ticket_status=ticket_status,
        yesno=defaultfilters.yesno,
    )
    return env
