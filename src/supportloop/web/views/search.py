"""The header search box (type-ahead fragment) and the full results page. Both call search.engine only."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse

from supportloop.accounts.permissions import can
from supportloop.core.indexing import KINDS
from supportloop.search import engine
from supportloop.search.query import QueryError
from supportloop.web.views.common import page

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


@page()
def search_page(request):
    """GET /search/?q=&type=&cursor=: `#1234` or an exact email opens that ticket or contact; otherwise a page of
    results of one kind, with a tab per kind the user may see."""
    q = (request.GET.get("q") or "")[:20_000]
    kind = request.GET.get("type") if request.GET.get("type") in KINDS else "ticket"
    tabs = [k for k in KINDS if can(request.user, engine.VIEW_ACTION[k])]
    context = {"section": "search", "q": q, "kind": kind, "tabs": tabs, "rows": [], "error": None, "next_cursor": None}
    if q.strip():
        target = engine.jump_target(user=request.user, q=q)
        if target and not request.GET.get("cursor"):
            return redirect(_url(*target))
        try:
            result = engine.search(user=request.user, q=q, kind=kind, cursor=request.GET.get("cursor"))
        except QueryError as error:
            context["error"] = error
        else:
            context.update(rows=_rows(result.hits), next_cursor=result.next_cursor)
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
