"""Reads of feedback shared by the pages and the API: ranking.py (figures of every item, filtered and sorted),
items.py (one item, its evidence, look-ups, the requester export), reports.py (roadmap, weekly digest).

The ranking reads the rollups (ItemStats) when no period or plan filter is given; with one, it aggregates the
matching evidence in SQL (exact, slower). Counting rules live in feedback/rollups.py.
"""

from supportloop.feedback.selectors.items import (  # noqa: F401
    REQUESTER_COLUMNS,
    bug_picklist_values,
    bug_report_of,
    engineering_link_get,
    evidence_for_customer,
    evidence_for_item,
    evidence_get,
    evidence_of_item,
    feedback_item_detail,
    feedback_item_get,
    feedback_item_ref,
    feedback_item_resolve,
    feedback_item_stats,
    feedback_items,
    feedback_items_for_contact,
    feedback_items_for_ticket,
    feedback_search,
    items_merged_into,
    notices_for_item,
    notices_for_ticket,
    requesters_csv,
    requesters_rows,
    status_history,
)
from supportloop.feedback.selectors.ranking import (  # noqa: F401
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
from supportloop.feedback.selectors.reports import (  # noqa: F401
    PUBLIC_FIELDS,
    SHIPPED_RECENT_DAYS,
    roadmap,
    weekly_digest,
    weekly_digest_text,
)
