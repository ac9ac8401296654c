"""The header's "Notifications (N)" link on every agent page (automation's in-app notifications).

The unread count comes from automation's per-user versioned cache (services/notifications.unread_count), like the
incident banner: no query while the cache is warm, one when it is cold.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from supportloop.accounts.permissions import STAFF
from supportloop.automation.services.notifications import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def notifications_link(context) -> SafeString | str:
    user = context.get("user")
    if user is None or not getattr(user, "is_authenticated", False) or user.role not in STAFF:
        return ""
    count = unread_count(user_id=user.pk)
    current = ' aria-current="page"' if context.get("section") == "notifications" else ""
    if not count:
        return format_html(
            '<a href="{}" data-notifications-link{}>{}</a>',
            reverse("web:notifications"),
            SafeString(current),
            _("Notifications"),
        )
    return format_html(
        '<a href="{}" data-notifications-link{}>{} (<span data-notifications-count>{}</span>)</a>',
        reverse("web:notifications"),
        SafeString(current),
        _("Notifications"),
        count,
    )
