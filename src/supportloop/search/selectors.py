"""Reads about the search index itself: how far it lags behind the rows it is built from.

The services write index rows in their own transaction, so in a healthy installation the lag is zero. It is
measured anyway, because rows also change outside the services (bulk seeding, SQL by hand, a restore, a bug in a
new service that forgets `index_changed`), and search quietly returning old answers is the failure nobody sees.

Per kind, two figures, both answered by indexes and bounded whatever the table size:
- `lag_seconds`: the newest change to a source row (max `updated_at`) minus the newest change the index holds
  (max `sort_at`, which is the object's `updated_at` copied when its row was written). Zero when the latest
  change is indexed; None when objects exist and none is indexed.
- `unindexed`: objects changed in the last LAG_WINDOW that have no index row, or one older than the object.
  Limited to a recent window so it stays a few index probes per recent change at 1,000,000 tickets; older gaps
  are what `supportloop search_rebuild` (and the seed hook, `search.seeding.index_missing`) repair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from supportloop.core.indexing import KINDS
from supportloop.search.documents import MODELS
from supportloop.search.models import SearchDocument

LAG_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class KindLag:
    kind: str
    newest_change: datetime | None  # the newest updated_at among the source rows
    newest_indexed: datetime | None  # the newest sort_at among the index rows
    lag_seconds: float | None  # None: objects exist and the index holds none of them
    unindexed: int  # changed within LAG_WINDOW, without a current index row

    @property
    def current(self) -> bool:
        return self.lag_seconds == 0 and self.unindexed == 0


def index_lag(*, now: datetime | None = None) -> list[KindLag]:
    """The index lag of every kind: three indexed queries per kind."""
    since = (now or timezone.now()) - LAG_WINDOW
    figures = []
    for kind in KINDS:
        model = MODELS[kind]
        newest_change = model._default_manager.aggregate(newest=Max("updated_at"))["newest"]
        newest_indexed = SearchDocument.objects.filter(kind=kind).aggregate(newest=Max("sort_at"))["newest"]
        indexed_at = SearchDocument.objects.filter(kind=kind, object_id=OuterRef("pk")).values("sort_at")[:1]
        unindexed = (
            model._default_manager.filter(updated_at__gte=since)
            .annotate(indexed=Subquery(indexed_at))
            .aggregate(n=Count("pk", filter=Q(indexed__isnull=True) | Q(indexed__lt=F("updated_at"))))["n"]
        )
        lag: float | None = 0.0
        if newest_change is not None:
            # No index row at all while objects exist: the lag is unknown (None), shown as "not indexed".
            lag = max(0.0, (newest_change - newest_indexed).total_seconds()) if newest_indexed else None
        figures.append(KindLag(kind, newest_change, newest_indexed, lag, unindexed))
    return figures
