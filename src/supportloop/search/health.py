"""The `search_index` readiness check (registered from SearchConfig.ready()): fails when the index lags behind
its rows by more than SUPPORTLOOP_HEALTH_SEARCH_LAG_SECONDS, or when objects changed in the last hour have no
current index row (the services index in their own transaction, so any gap means something wrote around them;
`supportloop search_rebuild` repairs it). The figures per kind are in the staff-only details."""

from __future__ import annotations

from django.conf import settings

from supportloop.core.health import Health
from supportloop.search.selectors import index_lag


def check_search_index() -> Health:
    limit = settings.SUPPORTLOOP_HEALTH_SEARCH_LAG_SECONDS
    figures = index_lag()
    failing = any(f.unindexed or (f.lag_seconds is None or f.lag_seconds > limit) for f in figures)
    return Health(
        "fail" if failing else "ok",
        {
            "limit_seconds": limit,
            **{f.kind: {"lag_seconds": f.lag_seconds, "unindexed_last_hour": f.unindexed} for f in figures},
        },
    )
