"""Reads of feedback shared by the pages and the API: ranking.py (figures of every item, filtered and sorted),
items.py (one item, its evidence, look-ups, the requester export), reports.py (roadmap, weekly digest).

The ranking reads the rollups (ItemStats) when no period or plan filter is given; with one, it aggregates the
matching evidence in SQL (exact, slower). Counting rules live in feedback/rollups.py.
"""

from supportloop.feedback.selectors.items import (
    REQUESTER_COLUMNS,
    evidence_for_item,
    evidence_get,
    feedback_item_detail,
    feedback_item_get,
    feedback_item_resolve,
    feedback_item_stats,
    feedback_items_for_contact,
    feedback_items_for_ticket,
    feedback_search,
    notices_for_item,
    notices_for_ticket,
    requesters_csv,
    requesters_rows,
    status_history,
)
from supportloop.feedback.selectors.ranking import (
    ROW_FIELDS,
    SORTS,
    _order,
    _rollup_queryset,
    feedback_ranking,
    feedback_ranking_count,
    growth_pct,
    score_expression,
    score_of,
)
from supportloop.feedback.selectors.reports import (
    PUBLIC_FIELDS,
    SHIPPED_RECENT_DAYS,
    roadmap,
    weekly_digest,
    weekly_digest_text,
)

# The names this package re-exports (mypy's no-implicit-reexport, ruff's F401 read it).
__all__ = [
    "PUBLIC_FIELDS",
    "REQUESTER_COLUMNS",
    "ROW_FIELDS",
    "SHIPPED_RECENT_DAYS",
    "SORTS",
    "_order",
    "_rollup_queryset",
    "evidence_for_item",
    "evidence_get",
    "feedback_item_detail",
    "feedback_item_get",
    "feedback_item_resolve",
    "feedback_item_stats",
    "feedback_items_for_contact",
    "feedback_items_for_ticket",
    "feedback_ranking",
    "feedback_ranking_count",
    "feedback_search",
    "growth_pct",
    "notices_for_item",
    "notices_for_ticket",
    "requesters_csv",
    "requesters_rows",
    "roadmap",
    "score_expression",
    "score_of",
    "status_history",
    "weekly_digest",
    "weekly_digest_text",
]
