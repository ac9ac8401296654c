"""The header search box (type-ahead fragment) and the full results page. Both call search.engine only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from supportloop.accounts.permissions import SUPPORT, can
from supportloop.accounts.selectors import people as people_list
from supportloop.accounts.selectors import teams as team_list
from supportloop.core.indexing import KINDS
from supportloop.search import engine
from supportloop.search.query import QueryError
from supportloop.search.selectors import index_lag
from supportloop.tickets.filters import TicketFilters
from supportloop.web import selectors
from supportloop.web.forms import SavedViewForm
from supportloop.web.views.bulk_bar import bulk_bar_context
from supportloop.web.views.common import PageRequest, page
from supportloop.web.views.inbox import _rows_html as inbox_rows_html

KIND_URL = {"ticket": "web:ticket", "contact": "web:contact", "company": "web:company", "feedback": "web:item"}


def _url(kind: str, key: int) -> str:
    return reverse(KIND_URL[kind], args=[key])


def _rows(hits: list[engine.Hit]) -> list[dict]:
    """Values prepared for the templates (no method calls or {% url %} per row)."""
    rows = []
    for hit in hits:
        obj = hit.obj
        key = obj.number if hit.kind == "ticket" else obj.pk
        label = f"#{obj.number}" if hit.kind == "ticket" else (f"FB-{obj.pk}" if hit.kind == "feedback" else "")
        status = getattr(obj, "get_status_display", lambda: "")()
        rows.append(
            {
                "kind": hit.kind,
                "url": _url(hit.kind, key),
                "label": label,
                "title": hit.title or str(obj),
                "excerpt": hit.excerpt,
                "status": status,
                "updated_at": getattr(obj, "updated_at", None),
            }
        )
    return rows


# The ticket results' orders (search.engine.ORDERS) as the page names them; relevance first, the default.
TICKET_SORTS = {
    "relevance": gettext_lazy("Relevance"),
    "created": gettext_lazy("Newest created"),
    "updated": gettext_lazy("Last updated"),
}


def _ticket_rows(hits: list[engine.Hit]) -> list[dict[str, Any]]:
    """The hits as the inbox's own rows (web.selectors.inbox_page, one query for the rows and one for the tags),
    in the engine's order, each with its excerpt for the line under the subject."""
    ids = [hit.object_id for hit in hits]
    if not ids:
        return []
    found = selectors.inbox_page(filters=TicketFilters(ids=ids), limit=len(ids)).rows
    by_id = {row["id"]: row for row in found}
    rows = []
    for hit in hits:
        row = by_id.get(hit.object_id)
        if row is not None:
            row["excerpt"] = hit.excerpt  # escaped by the engine, matches in <mark>
            rows.append(row)
    return rows


@page()
def search_page(request: PageRequest) -> HttpResponseBase:
    """GET /search/?q=&type=&sort=&cursor=: `#1234` or an exact email opens that ticket or contact; otherwise a
    page of results of one kind, with a tab per kind the user may see. Tickets come as the inbox's rows, with its
    bulk actions and a choice of order; with htmx and a cursor, only the next rows."""
    params = request.GET
    q = (params.get("q") or "")[:20_000]
    kind = str(params.get("type")) if params.get("type") in KINDS else "ticket"
    sort = str(params.get("sort")) if params.get("sort") in TICKET_SORTS else "relevance"
    tabs = [k for k in KINDS if can(request.user, engine.VIEW_ACTION[k])]
    context: dict[str, Any] = {
        "section": "search",
        "q": q,
        "kind": kind,
        "tabs": tabs,
        "rows": [],
        "error": None,
        "next_cursor": None,
        "sort": sort,
        "sorts": list(TICKET_SORTS.items()),
    }
    if q.strip():
        target = engine.jump_target(user=request.user, q=q)
        if target and not params.get("cursor"):
            return redirect(_url(*target))
        try:
            result = engine.search(
                user=request.user,
                q=q,
                kind=kind,
                cursor=params.get("cursor"),
                order=sort if kind == "ticket" else "relevance",
            )
        except QueryError as error:
            context["error"] = error
        else:
            if kind == "ticket":
                return _ticket_results(request, context, result)
            context.update(rows=_rows(result.hits), next_cursor=result.next_cursor)
    return _render_results(request, context)


def _ticket_results(request: PageRequest, context: dict[str, Any], result: engine.Page) -> HttpResponseBase:
    query = urlencode([(k, v) for k, v in request.GET.items() if k in ("q", "type", "sort") and v])
    rows = _ticket_rows(result.hits)
    if request.htmx and request.GET.get("cursor"):
        return HttpResponse(inbox_rows_html(request, rows, query, result.next_cursor))
    people = list(people_list())
    context.update(
        ticket_rows_html=mark_safe(  # noqa: S308 - rendered by the autoescaping Jinja2 environment (web/jinja2.py)
            inbox_rows_html(request, rows, query, result.next_cursor, agents={u.pk: u.display_name for u in people})
        ),
        count_on_page=len(rows),
        full_path=request.get_full_path(),
        save_form=SavedViewForm(initial={"q": context["q"]}),
        save_teams=list(team_list().filter(members=request.user)),
        **bulk_bar_context(
            request,
            source="search",
            query=urlencode({"q": context["q"]}),
            agents=[u for u in people if u.is_active and u.role in SUPPORT],
            teams=team_list(),
        ),
    )
    return _render_results(request, context)


def _render_results(request: PageRequest, context: dict[str, Any]) -> HttpResponseBase:
    if can(request.user, "user.write"):  # admins see how far the index lags behind
        context["index_lag"] = index_lag()
    return render(request, "web/search/results.html", context)


@page()
def search_suggest(request):
    """The type-ahead fragment under the header box (htmx): the top five of each kind, or the jump target."""
    q = (request.GET.get("q") or "")[:20_000]
    groups, error, jump = [], None, None
    if q.strip():
        target = engine.jump_target(user=request.user, q=q)
        if target:
            jump = {"kind": target[0], "url": _url(*target), "label": q.strip()}
        try:
            found = engine.typeahead(user=request.user, q=q)
        except QueryError as exc:
            error = exc
        else:
            groups = [{"kind": kind, "rows": _rows(hits)} for kind, hits in found.items() if hits]
    return render(request, "web/search/suggest.html", {"q": q, "groups": groups, "error": error, "jump": jump})
