"""The command palette (Ctrl/Cmd+K on every staff page): go to a ticket, view, customer or feedback item, and run
the ticket page's actions. Finding things goes through search.engine; the actions themselves run in the page
(app.js), through the same forms and fragments a click uses."""

from __future__ import annotations

from typing import Any

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from supportloop.accounts.permissions import can
from supportloop.search import engine
from supportloop.search.query import QueryError
from supportloop.tickets.selectors import macro_search
from supportloop.web import selectors
from supportloop.web.views.common import PageRequest, int_or_none, page
from supportloop.web.views.inbox import BUILT_IN_VIEWS
from supportloop.web.views.search import KIND_URL

PER_KIND = 3
MACRO_WORDS = ("apply", "macro")  # "apply macro refund" searches the macros for "refund"


def _matches(label: str, words: list[str]) -> bool:
    low = label.lower()
    return all(w in low for w in words)


def _views(user, words: list[str]) -> list[dict[str, Any]]:
    """The built-in views and the user's saved views whose names contain every word."""
    inbox = reverse("web:inbox")
    rows = [
        {"label": str(label), "href": inbox if key == "all" else f"{inbox}?view={key}"}
        for key, label in BUILT_IN_VIEWS.items()
    ]
    rows += [{"label": v.name, "href": f"{inbox}?{v.query}"} for v in selectors.saved_views_of(user=user)]
    return [r for r in rows if _matches(r["label"], words)]


def _found(user, q: str) -> list[dict[str, Any]]:
    """Tickets, contacts, companies and feedback items from the search engine; `#12` names a ticket."""
    rows: list[dict[str, Any]] = []
    target = engine.jump_target(user=user, q=q)
    if target:
        kind, key = target
        rows.append({"kind": kind, "label": q.strip(), "href": reverse(KIND_URL[kind], args=[key])})
    try:
        found = engine.typeahead(user=user, q=q, per_kind=PER_KIND)
    except QueryError:
        return rows
    for kind, hits in found.items():
        for hit in hits:
            obj = hit.obj
            key = obj.number if kind == "ticket" else obj.pk
            prefix = f"#{obj.number} " if kind == "ticket" else (f"FB-{obj.pk} " if kind == "feedback" else "")
            href = reverse(KIND_URL[kind], args=[key])
            if not any(r["href"] == href for r in rows):
                rows.append({"kind": kind, "label": prefix + (hit.title or str(obj)), "href": href})
    return rows


def _actions(user, number: int | None, q: str, words: list[str]) -> list[dict[str, Any]]:
    """On a ticket page: "Assign to me" and "Apply macro <name>" (run in the page by app.js)."""
    if number is None:
        return []
    rows: list[dict[str, Any]] = []
    if can(user, "ticket.update"):
        label = _("Assign to me")
        if _matches(label, words):
            rows.append({"label": label, "action": "assign", "value": user.pk})
    if can(user, "ticket.reply"):
        # The words of "Apply macro" (English or the user's language: "макрос", "快捷回复") only ask for macros.
        phrase = " ".join((*MACRO_WORDS, (_("Apply macro %(name)s") % {"name": ""}).lower()))
        asks = [w for w in words if w in phrase]
        macro_q = " ".join(w for w in q.split() if w.lower() not in asks)
        if not words or macro_q or asks:
            rows.extend(
                {
                    "label": _("Apply macro %(name)s") % {"name": macro.name},
                    "action": "macro",
                    "value": reverse("web:macro_fill", args=[number, macro.pk]),
                }
                for macro in macro_search(q=macro_q, limit=5)
            )
    return rows


@page()
def palette(request: PageRequest):
    """GET /palette/?q=&ticket=: the palette's options (htmx fragment), grouped: actions, go to, views."""
    q = (request.GET.get("q") or "")[:500]
    words = [w.lower() for w in q.split()]
    user = request.user
    actions = _actions(user, int_or_none(request.GET.get("ticket")), q, words)
    found = _found(user, q) if q.strip() else []
    views = _views(user, words) if can(user, "ticket.view") else []
    context = {"q": q, "actions": actions, "found": found, "views": views}
    return render(request, "web/partials/palette_results.html", context)
