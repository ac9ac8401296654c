"""The incident banner every agent page shows while an incident is open (automation, issue 14).

It reads the open incidents through automation's short-lived cache (services/incidents.open_incidents), so a page
costs no query for it while the cache is warm; leads and admins get a link to the incident's page.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from supportloop.accounts.permissions import SUPPORT, can
from supportloop.automation.services.incidents import open_incidents

register = template.Library()


@register.simple_tag(takes_context=True)
def incident_banner(context) -> SafeString | str:
    user = context.get("user")
    if user is None or not getattr(user, "is_authenticated", False) or user.role not in SUPPORT:
        return ""
    incidents = open_incidents()
    if not incidents:
        return ""
    if can(user, "incident.manage"):
        items = format_html_join(
            "; ", '<a href="{}">{}</a>', ((reverse("web:incident", args=[i.id]), i.title) for i in incidents)
        )
    else:
        items = format_html_join("; ", "{}", ((i.title,) for i in incidents))
    return format_html(
        '<div class="flash error incident-banner" role="alert" data-incident-banner>{} {}</div>',
        _("Incident in progress:"),
        items,
    )
