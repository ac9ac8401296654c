"""The bulk-action bar that the inbox and the search results share (web/templates/web/partials/bulk_bar.html).

It only prepares the bar's context; the changes go to web/views/bulk.py, which re-runs the page's query when the
agent picks "select all matching". Kept apart from that module so the pages can import it without a cycle.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from supportloop.accounts.models import Team, User
from supportloop.accounts.permissions import can
from supportloop.tickets.choices import Priority, Status
from supportloop.tickets.services.bulk import BULK_MAX, CONFIRM_OVER
from supportloop.web.views.common import PageRequest

# The session key under which web.views.bulk leaves the last change for the Undo toast of the next page.
TOAST_SESSION_KEY = "web:bulk-toast"
TOAST_FRESH_SECONDS = 60


def _toast(request: PageRequest) -> dict[str, Any] | None:
    """The change to offer Undo for, once, on the page the change returned to; one left behind by a change that
    returned elsewhere is dropped rather than shown minutes later on another page."""
    toast: dict[str, Any] | None = request.session.pop(TOAST_SESSION_KEY, None)
    if toast is None or time.time() - toast.get("at", 0) > TOAST_FRESH_SECONDS:
        return None
    return toast


def bulk_bar_context(
    request: PageRequest, *, source: str, query: str, agents: Iterable[User], teams: Iterable[Team]
) -> dict[str, Any]:
    """{"bulk": ...} for the partial: None for users who may not change tickets. `source` names the page's
    query in web.views.bulk.QUERY_SOURCES; `query` is the page's query string (without its cursor), which the
    server runs again for "select all matching"."""
    if not can(request.user, "ticket.update"):
        return {"bulk": None}
    return {
        "bulk": {
            "source": source,
            "query": query,
            "next": request.get_full_path(),
            "count_url": reverse("web:bulk_count"),
            "statuses": Status.choices,
            "priorities": Priority.choices,
            "agents": list(agents),
            "teams": list(teams),
            "max": BULK_MAX,
            "confirm_over": CONFIRM_OVER,
            "toast": _toast(request),
        }
    }
