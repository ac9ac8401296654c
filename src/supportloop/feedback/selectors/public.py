"""Reads of the public feedback board: public items only, and only what may be shown to anyone.

What leaves this module is the item's title, kind, product area, status, public description, its status
history as (status, date) pairs, and the release note once shipped. Never evidence, quotes, contacts,
companies, MRR, customer counts, owners, notes of status changes, problem statements or decline reasons: the
queries select named columns (`.values(...)`), so a field added to the model later does not leak by default.

Speed (10,000 public items, see benchmarks/public_board.py): the sorts read the rollups (ItemStats) through
indexes on their sort keys, the counts per status and the "recent" sort a partial index of public items,
and the page's version (its ETag) is the latest item and rollup change (index probes) plus those counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, QuerySet, Subquery
from django.db.models.functions import Substr

from supportloop.core.errors import NotFound
from supportloop.feedback.choices import ItemStatus
from supportloop.feedback.models import FeedbackItem, FeedbackSettings, ItemStats, StatusChange
from supportloop.feedback.rollups import current_week, feedback_settings, stats_refresh_stale_trend

PUBLIC_PAGE_SIZE = 30
# Statuses the board shows, in the order of its filter (merged items redirect to the item they went into).
PUBLIC_STATUSES: tuple[str, ...] = (
    ItemStatus.PLANNED,
    ItemStatus.IN_PROGRESS,
    ItemStatus.SHIPPED,
    ItemStatus.UNDER_REVIEW,
    ItemStatus.NEW,
    ItemStatus.DECLINED,
)
# trending: growth of mentions, last 4 weeks against the 4 before (the weekly rollups); most_wanted: unique
# customers who asked; recent: newest first.
PUBLIC_SORTS: tuple[str, ...] = ("trending", "most_wanted", "recent")
PUBLIC_DEFAULT_SORT = "trending"
# A page number beyond this is answered with the last page anyway; the bound keeps int() of a hostile value cheap.
_MAX_PAGE_DIGITS = 6
_LIST_FIELDS = ("id", "title", "kind", "status", "product_area__name", "created_at", "shipped_at")
# The list shows the start of each public description; the database cuts it, so long texts are not carried.
SUMMARY_CHARS = 220


@dataclass(frozen=True)
class PublicBoardQuery:
    """The board's parameters after cleaning: anything unknown or malformed becomes the default."""

    status: str = ""
    sort: str = PUBLIC_DEFAULT_SORT
    page: int = 1


def public_board_query(*, status: Any = "", sort: Any = "", page: Any = "") -> PublicBoardQuery:
    """Clean query-string values: an unknown status means all, an unknown sort the default, a page that is not
    a small positive number the first page (the selector clamps a page past the end to the last one)."""
    clean_status = status if isinstance(status, str) and status in PUBLIC_STATUSES else ""
    clean_sort = sort if isinstance(sort, str) and sort in PUBLIC_SORTS else PUBLIC_DEFAULT_SORT
    clean_page = 1
    if isinstance(page, str) and page.isascii() and page.isdigit() and len(page) <= _MAX_PAGE_DIGITS:
        clean_page = max(1, int(page))
    return PublicBoardQuery(status=clean_status, sort=clean_sort, page=clean_page)


@dataclass(frozen=True)
class PublicBoardState:
    """What every page of the board depends on besides its own rows; its digest is the pages' ETag."""

    workspace_name: str
    counts: dict[str, int]
    last_change: datetime | None
    week: date

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def version(self, *parts: object) -> str:
        """A digest of this state and `parts` (the cleaned query, the language): the same digest means the same
        page. The week is in it because "trending" moves when a week starts, without any write."""
        counts = ",".join(f"{s}={self.counts.get(s, 0)}" for s in PUBLIC_STATUSES)
        last = self.last_change.isoformat() if self.last_change else "-"
        raw = "|".join([self.workspace_name, counts, last, self.week.isoformat(), *map(str, parts)])
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def public_board_state() -> PublicBoardState:
    """The workspace name, public items per status, and the time of the latest change: to any item (an item
    made private changes the time, one deleted the counts) or to any item's rollup (a recount after evidence
    was removed or a contact deleted moves the sorts without touching the item). Two cheap reads, no rows:
    the settings row with the two latest times (index probes), and the counts from the partial index."""
    latest_item = FeedbackItem.objects.order_by("-updated_at").values("updated_at")[:1]
    latest_count = ItemStats.objects.order_by("-computed_at").values("computed_at")[:1]
    head = (
        FeedbackSettings.objects.order_by("pk")
        .annotate(item_changed=Subquery(latest_item), stats_changed=Subquery(latest_count))
        .values("workspace_name", "item_changed", "stats_changed")
        .first()
    )
    if head is None:  # a new workspace: the row is made with its defaults
        head = {"workspace_name": feedback_settings().workspace_name, "item_changed": None, "stats_changed": None}
    changes = [t for t in (head["item_changed"], head["stats_changed"]) if t is not None]
    counts = dict.fromkeys(PUBLIC_STATUSES, 0)
    for row in (
        FeedbackItem.objects.filter(is_public=True, status__in=PUBLIC_STATUSES)
        .order_by()
        .values("status")
        .annotate(n=Count("*"))
    ):
        counts[row["status"]] = row["n"]
    return PublicBoardState(
        workspace_name=head["workspace_name"],
        counts=counts,
        last_change=max(changes) if changes else None,
        week=current_week(),
    )


def public_workspace_name() -> str:
    """The name the board carries in its title (FeedbackSettings.workspace_name)."""
    return feedback_settings().workspace_name


@dataclass
class PublicBoardPage:
    query: PublicBoardQuery
    rows: list[dict[str, Any]] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    total: int = 0

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _ordered(qs: QuerySet[FeedbackItem], sort: str) -> QuerySet[FeedbackItem]:
    # Filtering on the rollup makes the join an inner one, so the database can walk the rollup's index on
    # the sort key (feedback_stats_*_idx) and stop after one page. Every item has its rollup row (the
    # services create it with the item).
    if sort == "most_wanted":
        return qs.filter(stats__unique_contacts__gte=0).order_by(F("stats__unique_contacts").desc(), "-id")
    if sort == "trending":
        growth = F("stats__recent_4w") - F("stats__previous_4w")
        return qs.filter(stats__recent_4w__gte=0).order_by(growth.desc(), "-id")
    return qs.order_by("-created_at", "-id")


def public_board_items(*, query: PublicBoardQuery, state: PublicBoardState | None = None) -> PublicBoardPage:
    """One page of public items (PUBLIC_PAGE_SIZE) for the cleaned query; counts come from `state`."""
    state = state or public_board_state()
    total = state.counts.get(query.status, 0) if query.status else state.total
    pages = max(1, -(-total // PUBLIC_PAGE_SIZE))
    page = min(query.page, pages)
    if query.sort == "trending":
        stats_refresh_stale_trend()  # one index probe; recomputes the 4-week figures once a week
    qs = FeedbackItem.objects.filter(is_public=True)
    qs = qs.filter(status=query.status) if query.status else qs.filter(status__in=PUBLIC_STATUSES)
    start = (page - 1) * PUBLIC_PAGE_SIZE
    # Two steps: the page's ids first (narrow rows the database sorts or walks in an index, even on the last
    # page), then those 30 rows with their text. Sorting whole rows with descriptions spilled to disk.
    ids = list(_ordered(qs, query.sort).values_list("id", flat=True)[start : start + PUBLIC_PAGE_SIZE])
    cut = Substr("public_description", 1, SUMMARY_CHARS + 1)
    by_id = {
        row["id"]: row for row in FeedbackItem.objects.filter(pk__in=ids).order_by().values(*_LIST_FIELDS, summary=cut)
    }
    rows = [by_id[i] for i in ids if i in by_id]
    for row in rows:
        row["product_area"] = row.pop("product_area__name") or ""
        if len(row["summary"]) > SUMMARY_CHARS:
            row["summary"] = row["summary"][:SUMMARY_CHARS].rstrip() + "…"
    return PublicBoardPage(query=query, rows=rows, page=page, pages=pages, total=total)


@dataclass
class PublicItem:
    id: int
    title: str
    kind: str
    status: str
    product_area: str
    public_description: str
    release_note: str
    created_at: datetime
    shipped_at: datetime | None
    updated_at: datetime
    # Set when the item was merged into another public item: the page redirects there.
    redirect_to: int | None = None
    # (status, when) from the status history, oldest first; nothing about who or why.
    history: list[tuple[str, datetime]] = field(default_factory=list)


def public_item(*, item_id: int, with_history: bool = True) -> PublicItem:
    """A public item as the board shows it; NotFound for an unknown or private item. A merged item answers
    with `redirect_to` when the item it went into is public, else NotFound."""
    row = (
        FeedbackItem.objects.filter(pk=item_id, is_public=True)
        .values(
            "id",
            "title",
            "kind",
            "status",
            "product_area__name",
            "public_description",
            "release_note",
            "created_at",
            "shipped_at",
            "updated_at",
            "merged_into_id",
            "merged_into__is_public",
        )
        .first()
    )
    if row is None:
        raise NotFound("No such public feedback item.")
    if row["status"] == ItemStatus.MERGED:
        if row["merged_into_id"] and row["merged_into__is_public"]:
            return _public_item_of(row, redirect_to=row["merged_into_id"])
        raise NotFound("No such public feedback item.")
    item = _public_item_of(row)
    return public_item_history(item=item) if with_history else item


def public_item_history(*, item: PublicItem) -> PublicItem:
    """Fill the item's status history (a page that answered 304 never reads it)."""
    item.history = [
        (status, when)
        for status, when in StatusChange.objects.filter(item_id=item.id)
        .exclude(to_status=ItemStatus.MERGED)
        .order_by("created_at", "id")
        .values_list("to_status", "created_at")
    ]
    return item


def _public_item_of(row: Mapping[str, Any], redirect_to: int | None = None) -> PublicItem:
    shipped = row["status"] == ItemStatus.SHIPPED
    return PublicItem(
        id=row["id"],
        title=row["title"],
        kind=row["kind"],
        status=row["status"],
        product_area=row["product_area__name"] or "",
        public_description=row["public_description"],
        # The release note is what shipping told the customers; before that it is a draft.
        release_note=row["release_note"] if shipped else "",
        created_at=row["created_at"],
        shipped_at=row["shipped_at"] if shipped else None,
        updated_at=row["updated_at"],
        redirect_to=redirect_to,
    )
