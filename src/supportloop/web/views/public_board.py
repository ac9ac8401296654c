"""The public feedback board: anonymous, cacheable pages of the workspace's public feedback items.

No sign-in, no session writes, no CSRF token (nothing to post), so no cookie is set; every page carries
Cache-Control: public, max-age=60 with an ETag and Last-Modified, and answers 304 to a matching
If-None-Match before reading any rows. Reads live in feedback.selectors.public.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.encoding import uri_to_iri
from django.utils.http import http_date, quote_etag
from django.utils.text import slugify
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from supportloop.core.errors import NotFound
from supportloop.feedback.choices import ItemStatus, Kind
from supportloop.feedback.selectors import (
    PUBLIC_SORTS,
    PUBLIC_STATUSES,
    public_board_items,
    public_board_query,
    public_board_state,
    public_item,
    public_item_history,
    public_workspace_name,
)

MAX_AGE_SECONDS = 60
_PACKAGE = Path(__file__).resolve().parents[2]  # src/supportloop


@cache
def render_version() -> str:
    """A digest of what renders the pages besides the data: their templates and the compiled translations.
    It is part of every ETag, so a deploy that changes the HTML is not answered with 304 from the old one;
    a content digest (not a start time) keeps the ETags equal across processes and hosts."""
    digest = hashlib.sha256()
    files = sorted((_PACKAGE / "web" / "templates" / "web" / "public").glob("*.html"))
    files += sorted((_PACKAGE / "locale").glob("*/LC_MESSAGES/django.mo"))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _validators(version: str, last_change: datetime | None) -> tuple[str, int | None]:
    """The ETag and Last-Modified (seconds) of a page."""
    return quote_etag(version), int(last_change.timestamp()) if last_change else None


def _cacheable(response: HttpResponse, etag: str, last_modified: int | None) -> HttpResponse:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
    return response


def item_url(item_id: int, title: str) -> str:
    """The item's canonical address: its id and the title as a slug (the id alone is enough to find it)."""
    slug = slugify(title, allow_unicode=True)
    if slug:
        return reverse("web:public_item_slug", kwargs={"item_id": item_id, "slug": slug})
    return reverse("web:public_item", kwargs={"item_id": item_id})


@require_safe
def board(request: HttpRequest) -> HttpResponse:
    query = public_board_query(
        status=request.GET.get("status", ""), sort=request.GET.get("sort", ""), page=request.GET.get("page", "")
    )
    state = public_board_state()
    version = state.version("board", render_version(), query.status, query.sort, query.page, get_language())
    etag, last_modified = _validators(version, state.last_change)
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return _cacheable(not_modified, etag, last_modified)
    page = public_board_items(query=query, state=state)
    statuses, kinds = dict(ItemStatus.choices), dict(Kind.choices)
    for row in page.rows:
        row["url"] = item_url(row["id"], row["title"])
        row["status_label"] = statuses[row["status"]]
        row["kind_label"] = kinds.get(row["kind"], row["kind"])
    context = {
        "workspace": state.workspace_name,
        "page": page,
        "total": state.total,
        "filters": [(s, statuses[s], state.counts[s]) for s in PUBLIC_STATUSES],
        "sorts": list(PUBLIC_SORTS),
        "status": query.status,
        "sort": query.sort,
    }
    return _cacheable(render(request, "web/public/board.html", context), etag, last_modified)


@require_safe
def item(request: HttpRequest, item_id: int, slug: str = "") -> HttpResponse:
    try:
        found = public_item(item_id=item_id, with_history=False)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    if found.redirect_to is not None:  # merged into another public item
        target = public_item(item_id=found.redirect_to, with_history=False)
        return redirect(item_url(target.id, target.title))
    canonical = item_url(found.id, found.title)
    if request.path != uri_to_iri(canonical):  # reverse() percent-encodes a Chinese or Russian slug
        return redirect(canonical, permanent=True)
    workspace = public_workspace_name()
    raw = "|".join(
        ["item", render_version(), str(found.id), found.updated_at.isoformat(), workspace, get_language() or ""]
    )
    etag, last_modified = _validators(hashlib.sha256(raw.encode()).hexdigest()[:32], found.updated_at)
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return _cacheable(not_modified, etag, last_modified)
    public_item_history(item=found)
    statuses = dict(ItemStatus.choices)
    context = {
        "workspace": workspace,
        "item": found,
        "status_label": statuses[found.status],
        "kind_label": dict(Kind.choices).get(found.kind, found.kind),
        "history": [(statuses.get(status, status), when) for status, when in found.history],
        "canonical": request.build_absolute_uri(canonical),
    }
    return _cacheable(render(request, "web/public/item.html", context), etag, last_modified)
