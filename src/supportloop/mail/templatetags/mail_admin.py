"""Template tags for the admin pages (the quarantine count in the header: templates/admin/base_site.html)."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone

from supportloop.mail.selectors import quarantine_count_since

register = template.Library()


@register.simple_tag
def quarantine_recent(hours: int = 24) -> dict:
    """How much mail was quarantined in the last `hours`, and since when (for the changelist filter)."""
    since = timezone.now() - timedelta(hours=hours)
    return {"count": quarantine_count_since(since=since), "since": since.strftime("%Y-%m-%d %H:%M:%S")}
