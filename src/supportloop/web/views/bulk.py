"""Bulk changes from the inbox and the search results: apply one change to the checked rows or to everything the
page's query matches, count that query for "select all N matching", and undo a change.

Thin: the page's query is rebuilt by the function QUERY_SOURCES names for it, the change is
tickets.services.bulk's. The bar itself is web/views/bulk_bar.py and partials/bulk_bar.html.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import JsonResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from supportloop.accounts.models import Team, User
from supportloop.accounts.selectors import teams as team_list
from supportloop.core.errors import DomainError, ValidationFailed
from supportloop.core.indexing import TICKET
from supportloop.core.lookup import object_or_404, reference_or_422
from supportloop.search import engine
from supportloop.tickets.models import Ticket
from supportloop.tickets.selectors import bulk_changes_by
from supportloop.tickets.services import bulk_change_undo, tickets_bulk_change
from supportloop.tickets.services.bulk import BULK_MAX, CONFIRM_OVER
from supportloop.web import selectors
from supportloop.web.forms import staff_users
from supportloop.web.views.bulk_bar import TOAST_SESSION_KEY
from supportloop.web.views.common import PageRequest, int_or_none, page, safe_next
from supportloop.web.views.inbox import inbox_filters


def inbox_tickets(params: QueryDict, user: User) -> QuerySet[Ticket]:
    """The tickets the inbox lists for this query string, all pages: its view, filters and saved search."""
    filters = inbox_filters(params, user)
    filters.q = None  # as on the page: q is a search in the query language
    q = " ".join((params.get("q") or "").split())[:500]
    if q:
        filters.ids = engine.matching_ids(kind=TICKET, q=q, user=user)
    return filters.apply(Ticket.objects.all())


def search_tickets(params: QueryDict, user: User) -> QuerySet[Ticket]:
    """The tickets the search results page matches for `q` (the engine's best MATCH_LIMIT, more than BULK_MAX)."""
    q = (params.get("q") or "")[:20_000]
    if not q.strip():
        return Ticket.objects.none()
    return Ticket.objects.filter(pk__in=engine.matching_ids(kind=TICKET, q=q, user=user))


# Each page with the bulk bar, by the `source` it posts: how to run its query again on the server.
QUERY_SOURCES: dict[str, Callable[[QueryDict, User], QuerySet[Ticket]]] = {
    "inbox": inbox_tickets,
    "search": search_tickets,
}


def _matching(request: PageRequest, data: QueryDict) -> QuerySet[Ticket]:
    source = QUERY_SOURCES.get(data.get("source") or "")
    if source is None:
        raise ValidationFailed(_("Choose an action."), errors={"source": "unknown"})
    return source(QueryDict(data.get("query") or ""), request.user)


def _count(tickets: QuerySet[Ticket]) -> int:
    """How many tickets, counted no further than BULK_MAX + 1 (a change takes at most BULK_MAX)."""
    return len(tickets.order_by().values_list("pk", flat=True)[: BULK_MAX + 1])


def _chosen(request: PageRequest) -> QuerySet[Ticket]:
    """The checked rows, or the page's whole query when the agent chose "select all matching"."""
    if request.POST.get("scope") == "query":
        return _matching(request, request.POST)
    numbers = [n for n in (int_or_none(v) for v in request.POST.getlist("t")) if n is not None]
    return Ticket.objects.filter(number__in=numbers[: BULK_MAX + 1])


def _agent(value: str) -> User:
    """The staff user a bulk assignment names; one that is not (or no longer) staff is refused."""
    try:
        return reference_or_422(staff_users(), "assignee", int_or_none(value))
    except ValidationFailed:
        raise DomainError(_("That agent does not exist."), errors={"assignee": "not found"}) from None


def _team(value: str) -> Team:
    team = team_list().filter(pk=int_or_none(value) or 0).first()
    if team is None:
        raise DomainError(_("That team does not exist."), errors={"team": "not found"})
    return team


def _change(data: QueryDict) -> tuple[dict[str, Any], str | None]:
    """(values for ticket_update, tag to add) from the bar's action and its value field."""
    action = data.get("action")
    value = data.get(f"value_{action}", "").strip()
    if action == "assign":
        return {"assignee": None if value in ("", "none") else _agent(value)}, None
    if action == "team":
        return {"team": None if value in ("", "none") else _team(value)}, None
    if action in ("status", "priority"):
        return {action: value}, None
    if action == "tag":
        if not value:
            raise DomainError(_("Type a tag to add."), errors={"tag": "required"})
        return {}, value
    raise DomainError(_("Choose an action."), errors={"action": "unknown"})


def _too_many() -> str:
    return _("More than %(max)d tickets match. A bulk change takes at most %(max)d: narrow the view first.") % {
        "max": BULK_MAX
    }


@require_POST
@page("ticket.update")
def bulk_apply(request: PageRequest) -> HttpResponseBase:
    """Apply the bar's change; above CONFIRM_OVER tickets only with the count the agent confirmed. The next page
    shows an Undo toast for it."""
    back = safe_next(request, reverse("web:inbox"))
    try:
        values, tag = _change(request.POST)
        tickets = _chosen(request)
        count = _count(tickets)
        if not count:
            raise DomainError(_("Select at least one ticket."), errors={"tickets": "required"})
        if count > BULK_MAX:
            raise DomainError(_too_many(), errors={"tickets": f"at most {BULK_MAX}"})
        if count > CONFIRM_OVER and request.POST.get("confirmed") != str(count):
            # The dialog said another number (the view changed meanwhile) or was skipped: ask again.
            raise DomainError(
                _("%(count)d tickets match now: confirm the change again.") % {"count": count},
                errors={"confirmed": "required"},
            )
        change = tickets_bulk_change(
            tickets=tickets, actor=request.user, source=request.POST.get("source") or "", values=values, add_tag=tag
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect(back)
    selectors.inbox_counts_forget(request.user)
    text = ngettext("Updated %(count)d ticket.", "Updated %(count)d tickets.", change.ticket_count) % {
        "count": change.ticket_count
    }
    request.session[TOAST_SESSION_KEY] = {"id": change.pk, "text": text, "at": time.time()}
    return redirect(back)


@require_GET
@page("ticket.update")
def bulk_count(request: PageRequest) -> HttpResponseBase:
    """GET ?source=&query=: how many tickets "select all matching" would take (counted up to BULK_MAX + 1), asked
    when the bar first shows, so the pages themselves never count their whole query."""
    try:
        count = _count(_matching(request, request.GET))
    except DomainError as exc:
        return JsonResponse({"error": exc.detail}, status=exc.status)
    return JsonResponse({"count": count, "over": count > BULK_MAX, "max": BULK_MAX})


@require_POST
@page("ticket.update")
def bulk_undo(request: PageRequest, pk: int) -> HttpResponseBase:
    """Undo one of the user's own bulk changes; fields changed since by someone else keep their newer value."""
    change = object_or_404(bulk_changes_by(actor=request.user), pk=pk)
    if change.undone_at is not None:
        messages.error(request, _("This bulk change was already undone."))
        return redirect(safe_next(request, reverse("web:inbox")))
    try:
        result = bulk_change_undo(bulk_change=change, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        selectors.inbox_counts_forget(request.user)
        messages.success(
            request,
            ngettext("Undone: %(count)d ticket restored.", "Undone: %(count)d tickets restored.", result.restored)
            % {"count": result.restored},
        )
        if result.kept:
            messages.warning(
                request,
                _("Left as they are, because they changed again since: %(tickets)s.")
                % {"tickets": ", ".join(f"#{n}" for n in result.kept)},
            )
    return redirect(safe_next(request, reverse("web:inbox")))
