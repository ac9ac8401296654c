"""The inbox: built-in and saved views with counts, filters, sorting and keyset pages. Bulk actions: views/bulk.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from supportloop.accounts.models import Team, User
from supportloop.accounts.permissions import SUPPORT
from supportloop.accounts.selectors import people as people_list
from supportloop.accounts.selectors import team_names, user_names
from supportloop.accounts.selectors import teams as team_list_plain
from supportloop.core.errors import DomainError
from supportloop.core.indexing import TICKET
from supportloop.core.lookup import object_or_404
from supportloop.search import engine
from supportloop.search.query import QueryError
from supportloop.tickets.choices import Priority, Status
from supportloop.tickets.filters import TicketFilters, TicketListParams
from supportloop.tickets.rollups import rollup_condition, rollup_counts
from supportloop.tickets.selectors import contact_reasons, product_area_list
from supportloop.web import selectors
from supportloop.web.forms import SavedViewForm
from supportloop.web.services import inbox_preference_remember, saved_view_create, saved_view_delete, saved_view_query
from supportloop.web.views.bulk_bar import bulk_bar_context
from supportloop.web.views.common import PageRequest, int_or_none, page, render_page, safe_next

BUILT_IN_VIEWS = {
    "all": gettext_lazy("All open"),
    "mine": gettext_lazy("Mine"),
    "unassigned": gettext_lazy("Unassigned"),
    "urgent": gettext_lazy("Urgent"),
    "pending": gettext_lazy("Pending"),
    "solved": gettext_lazy("Solved"),
    "snoozed": gettext_lazy("Snoozed"),
}
SORT_LABELS = {
    "-updated": gettext_lazy("Last updated"),
    "waiting": gettext_lazy("Longest waiting"),
    "priority": gettext_lazy("Priority"),
    "-created": gettext_lazy("Newest"),
    "updated": gettext_lazy("Oldest activity"),
    "created": gettext_lazy("Oldest created"),
}


# What each built-in view adds to the query string before the page's own parameters (which win).
VIEW_PRESETS: dict[str, Callable[[User], dict[str, object]]] = {
    "mine": lambda user: {"assignee": str(user.pk)},
    "unassigned": lambda user: {"unassigned": "true"},
    "urgent": lambda user: {"priority": [Priority.URGENT]},
    "pending": lambda user: {"status": [Status.PENDING]},
    "solved": lambda user: {"status": [Status.SOLVED]},
}
# The inbox's older spellings, still in its links, bookmarks and saved views; the shared definition names the
# parameters as the API does (an id is accepted where the API takes a slug).
INBOX_SPELLINGS = {"area": "product_area", "reason": "contact_reason"}


def inbox_filters(params: QueryDict, user: User) -> TicketFilters:
    """Turn the inbox's query string into TicketFilters through the definition the API uses too
    (tickets/filters.py), leniently: a value that does not fit is ignored."""
    query: dict[str, object] = {"active": "true"}
    preset = VIEW_PRESETS.get(params.get("view") or "all")
    if preset is not None:
        query.update(preset(user))
    given = {INBOX_SPELLINGS.get(k, k): [v for v in params.getlist(k) if v] for k in params}
    given = {k: v for k, v in given.items() if v and k in TicketListParams.model_fields}
    if given.get("assignee") == ["none"]:
        del given["assignee"]
        given["unassigned"] = ["true"]
    given = TicketListParams.parse(given, strict=False).model_dump(exclude_unset=True)  # what fits, typed
    if "assignee" in given:
        query.pop("unassigned", None)
    query.update(given)
    filters = TicketListParams.parse(query, strict=False).filters(strict=False)
    # A snoozed ticket leaves every view but "Snoozed" until it wakes (tickets/services/snooze.py).
    filters.snoozed = params.get("view") == "snoozed"
    if params.get("unread"):
        filters.unread_for = user.pk
    return filters


def _initials(name: str) -> str:
    words = [w for w in name.replace(".", " ").split() if w]
    return "".join(w[0] for w in words[:2]).upper() or "?"


def _waiting(since: datetime | None, now: datetime) -> str:
    """ "waiting 3 h": how long the customer has waited since their unanswered message."""
    if since is None:
        return ""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return _("waiting %(count)d min") % {"count": minutes}
    if minutes < 48 * 60:
        return _("waiting %(count)d h") % {"count": minutes // 60}
    return _("waiting %(count)d d") % {"count": minutes // (24 * 60)}


def _rows_html(
    request: HttpRequest | None,  # None: the benchmark renders without a request
    page_rows: list[dict[str, Any]],
    query_without_cursor: str,
    next_cursor: str | None,
    agents: dict[int, str] | None = None,
    teams: dict[int, str] | None = None,
) -> str:
    """Render the rows with Jinja2: labels, names and URLs prepared once, not per row."""
    if agents is None:
        agents = user_names(ids={r["assignee_id"] for r in page_rows})
    if teams is None:
        teams = team_names(ids={r["team_id"] for r in page_rows})
    status_labels = dict(Status.choices)
    priority_labels = dict(Priority.choices)
    ticket_url = reverse("web:ticket", args=[0])[:-2]  # "/t/" — numbers are appended per row
    unassigned = _("Unassigned")
    you, an_agent = _("You"), _("Agent")
    me = request.user.pk if request is not None else None
    now = timezone.now()
    initials = {pk: _initials(name) for pk, name in agents.items()}
    for row in page_rows:
        if row["last_message_direction"] == "out":
            author = row["last_message_author_id"]
            row["preview_by"] = you if author == me else agents.get(author, an_agent)
        else:
            row["preview_by"] = ""
        row["waiting"] = _waiting(row["waiting_since"], now)
        row["initials"] = initials.get(row["assignee_id"], "") if row["assignee_id"] else ""
        if row["snoozed_until"] is not None:
            row["snoozed"] = timezone.localtime(row["snoozed_until"]).strftime("%Y-%m-%d %H:%M")
        row["url"] = f"{ticket_url}{row['number']}/"
        row["status_label"] = status_labels.get(row["status"], row["status"])
        row["priority_label"] = priority_labels.get(row["priority"], row["priority"])
        row["assignee"] = agents.get(row["assignee_id"], unassigned) if row["assignee_id"] else unassigned
        row["team__name"] = teams.get(row["team_id"], "")
        local = timezone.localtime(row["updated_at"])
        row["updated"] = local.strftime("%Y-%m-%d %H:%M")
        row["updated_iso"] = local.isoformat()
    more_url = f"?{query_without_cursor}&cursor={next_cursor}" if next_cursor else ""
    return render_to_string(
        "web/inbox_rows.jinja", {"rows": page_rows, "more_url": more_url}, request=request, using="jinja2"
    )


def _with_preference(request: PageRequest) -> QueryDict:
    """The query string with the user's remembered sort (and, on a bare inbox URL, view) filled in; an explicit
    sort or view is remembered for next time (not from "more" pages, which repeat the first page's)."""
    params = request.GET.copy()
    preference = selectors.inbox_preference_of(user=request.user)
    if params.get("cursor"):
        return params
    if not params and preference.view in BUILT_IN_VIEWS and preference.view != "all":
        params["view"] = preference.view
    if not params.get("sort") and preference.sort in selectors.SORTS:
        params["sort"] = preference.sort
    sort = params.get("sort") or ""
    sort = sort if sort in selectors.SORTS else ""
    view = params.get("view") or ""
    view = view if view in BUILT_IN_VIEWS else ""
    if "sort" in request.GET or "view" in request.GET:
        inbox_preference_remember(
            preference=preference, sort=sort or preference.sort, view=view if "view" in request.GET else preference.view
        )
    return params


@page("ticket.view")
def inbox(request: PageRequest) -> HttpResponseBase:
    params = _with_preference(request)
    filters = inbox_filters(params, request.user)
    sort = params.get("sort", "")
    if sort not in selectors.SORTS:
        sort = "-updated"
    search_q = " ".join((params.get("q") or "").split())[:500]
    filters.q = None  # the inbox's q is a search in the query language, not the API's "subject contains"
    if search_q:
        filters.ids = _search_ids(request, search_q)
    result = selectors.inbox_page(filters=filters, sort=sort, cursor=params.get("cursor") or None)
    query = urlencode([(k, v) for k, v in params.items() if k != "cursor" and v])
    if request.htmx and params.get("cursor"):
        return HttpResponse(_rows_html(request, result.rows, query, result.next_cursor))
    people = list(people_list())  # the staff: tens or hundreds of rows
    agents = [u for u in people if u.is_active and u.role in SUPPORT]
    teams = list(team_list_plain())
    rows_html = mark_safe(  # noqa: S308 - rendered by the autoescaping Jinja2 environment (web/jinja2.py)
        _rows_html(
            request,
            result.rows,
            query,
            result.next_cursor,
            agents={u.pk: u.display_name for u in people},
            teams={t.pk: t.name for t in teams},
        )
    )
    # Views and teams count from the rollup (_view_counts); product areas, not one of its keys, from the cached scan.
    counts = selectors.workspace_counts()
    view = params.get("view") or "all"
    current_query = saved_view_query(query)
    saved = list(selectors.saved_views_visible(user=request.user))
    for s in saved:
        s.current = s.query == current_query and s.q == search_q
        s.link = "&".join(part for part in (s.query, urlencode({"q": s.q}) if s.q else "") if part)
    view_counts = _view_counts(request.user, saved, teams)
    for s in saved:
        s.count = view_counts.get(f"saved-{s.pk}")
    areas = list(product_area_list(active=True))
    for t in teams:
        t.open_count = view_counts.get(f"team-{t.pk}", 0)
    for a in areas:
        a.open_count = counts["area"].get(a.pk, 0)
    context = {
        "rows_html": rows_html,
        "count_on_page": len(result.rows),
        "next_cursor": result.next_cursor,
        "query": query,
        "view": view,
        "views": [(key, label, view_counts.get(key, 0)) for key, label in BUILT_IN_VIEWS.items()],
        "saved_views": saved,
        "teams": teams,
        "areas": areas,
        "team_id": int_or_none(params.get("team")),
        "area_id": int_or_none(params.get("area")),
        "params": params,
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "agents": agents,
        "reasons": list(contact_reasons(active=True)),
        "sorts": list(SORT_LABELS.items()),
        "sort": sort,
        "saved_view_form": SavedViewForm(initial={"query": current_query, "q": search_q}),
        "has_filters": bool(current_query or search_q),
        "search_q": search_q,
        "plain_view": not any(
            params.get(k) for k in ("status", "priority", "assignee", "tag", "team", "area", "reason", "unread")
        ),
        "unread": bool(params.get("unread")),
        "full_path": request.get_full_path(),
    }
    context.update(bulk_bar_context(request, source="inbox", query=query, agents=agents, teams=teams))
    return render_page(request, "web/inbox.html", context)


# Filters a saved view may use and still be counted from TicketRollup (tickets/rollups.py); the others (tags,
# taxonomy, dates, unread, a search) would need a scan, so such a view shows no count.
ROLLUP_PARAMS = {"view", "status", "priority", "assignee", "team", "unassigned", "sort"}


def _view_counts(user: User, saved: list[Any], teams: list[Team]) -> dict[str, int]:
    """Counts of the built-in views, the teams and the saved views expressible on the rollup's keys: one query."""
    conditions = {}
    sidebar = [(k, f"view={k}") for k in BUILT_IN_VIEWS] + [(f"team-{t.pk}", f"team={t.pk}") for t in teams]
    for key, raw in sidebar:
        condition = rollup_condition(inbox_filters(QueryDict(raw), user))
        if condition is not None:
            conditions[key] = condition
    for s in saved:
        params = QueryDict(s.query)
        if s.q or not set(params) <= ROLLUP_PARAMS:
            continue
        condition = rollup_condition(inbox_filters(params, user))
        if condition is not None:
            conditions[f"saved-{s.pk}"] = condition
    return rollup_counts(conditions)


def _search_ids(request: PageRequest, q: str) -> list[int]:
    """The tickets a saved search matches: the engine's best MATCH_LIMIT ids (its GIN index), which the inbox then
    filters and sorts like any other view. A query the engine refuses shows its message and matches nothing."""
    try:
        return engine.matching_ids(kind=TICKET, q=q, user=request.user)
    except QueryError as error:
        messages.error(request, error.detail)
        return []


def _team(team_id: int | None) -> Team | None:
    """The team a view is to be shared with (the service checks the user belongs to it)."""
    if team_id is None:
        return None
    team = team_list_plain().filter(pk=team_id).first()
    if team is None:
        raise DomainError(_("That team does not exist."), errors={"team": "not found"})
    return team


@require_POST
@page("ticket.view")
def saved_view_add(request: PageRequest) -> HttpResponseBase:
    form = SavedViewForm(request.POST)
    fallback = reverse("web:inbox")
    if form.is_valid():
        try:
            view = saved_view_create(
                user=request.user,
                name=form.cleaned_data["name"],
                query=form.cleaned_data["query"],
                q=form.cleaned_data["q"],
                team=_team(form.cleaned_data["team"]),
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("View saved."))
            link = "&".join(part for part in (view.query, urlencode({"q": view.q}) if view.q else "") if part)
            return redirect(f"{fallback}?{link}")
    else:
        messages.error(request, _("Give the view a name."))
    return redirect(safe_next(request, fallback))


@require_POST
@page("ticket.view")
def saved_view_remove(request, pk: int):
    view = object_or_404(selectors.saved_views_of(user=request.user), pk=pk)
    saved_view_delete(view=view, actor=request.user)
    messages.success(request, _("View removed."))
    return redirect("web:inbox")
