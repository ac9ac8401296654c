"""Reports read from a PostgreSQL streaming replica when there is one and it is fresh enough.

With DATABASE_REPLICA_URL set, settings.py adds the database alias "replica" (SUPPORTLOOP_REPLICA_DATABASE) and
ReplicaRouter. Code that only reads, and may read data a few seconds old, runs inside `reading_reports()`:

    @page("report.view")
    @reading_reports            # a view: every ORM read in it goes to the replica
    def my_dashboard(request): ...

    with reading_reports():     # or a block (an API endpoint, a selector call)
        rows = tag_quality_report(since=..., until=...)

On entry it measures the replica's staleness (how far its replay is behind what it has been sent, see
`replica_staleness`); within SUPPORTLOOP_REPLICA_MAX_LAG_SECONDS the block's reads go to the replica, otherwise
(lag too large, the replica down or not streaming, no replica configured) to the primary, as without it.
Writes always go to the primary. Templates rendered inside the block get `report_source` (context processor
`report_source`): where the figures came from and how old they may be, shown by web/_report_source.html.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger("supportloop.db")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ReportSource:
    """Where a report's reads go: `alias` (the replica's or "default"), `on_replica`, `staleness` in seconds
    (how far the replica may be behind the primary; 0.0 on the primary), `reason` when the primary is used
    although a replica is configured."""

    alias: str
    staleness: float
    on_replica: bool = False
    reason: str = ""
    replica_configured: bool = True


_current: contextvars.ContextVar[ReportSource | None] = contextvars.ContextVar("report_source", default=None)
# The alias whose work_mem the current reading_reports() block raised (None when it did not).
_memory_raised_on: contextvars.ContextVar[str | None] = contextvars.ContextVar("report_memory", default=None)
# (monotonic time measured, alias, staleness or None): one measurement serves a process for a moment, so a busy
# dashboard does not ask the replica before every page.
_measured: dict[str, tuple[float, float | None]] = {}

STALENESS_SQL = """
SELECT pg_is_in_recovery(),
       (SELECT status FROM pg_stat_wal_receiver),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0
            ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 END
"""


def replica_alias() -> str | None:
    """The alias reports may read from, or None when none is configured."""
    alias = getattr(settings, "SUPPORTLOOP_REPLICA_DATABASE", "replica")
    return alias if alias and alias in settings.DATABASES else None


def replica_staleness(alias: str) -> float | None:
    """Seconds the database `alias` may be behind the primary, or None when it cannot say (down, or a standby
    whose WAL receiver is not streaming: it would serve ever older data).

    A streaming standby that has replayed all it received is as fresh as the primary's last message (0); one with
    WAL left to replay is behind by the age of the last transaction it replayed (pg_last_xact_replay_timestamp).
    A primary (tests point the alias at the same database) and SQLite are 0.
    """
    try:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            return 0.0
        with connection.cursor() as cursor:
            cursor.execute(STALENESS_SQL)
            in_recovery, receiver, lag = cursor.fetchone()
    except DatabaseError:
        logger.warning("replica %s unreachable; reports read from the primary", alias, exc_info=True)
        return None
    if not in_recovery:
        return 0.0
    if receiver != "streaming" or lag is None:
        return None
    return max(0.0, float(lag))


def _staleness_cached(alias: str) -> float | None:
    ttl = float(getattr(settings, "SUPPORTLOOP_REPLICA_CHECK_SECONDS", 1.0))
    now = time.monotonic()
    hit = _measured.get(alias)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = replica_staleness(alias)
    _measured[alias] = (now, value)
    return value


def choose_report_source() -> ReportSource:
    """The replica when configured and within the bound, else the primary (with the reason)."""
    alias = replica_alias()
    if alias is None:
        return ReportSource("default", 0.0, reason="no replica configured", replica_configured=False)
    staleness = _staleness_cached(alias)
    bound = float(settings.SUPPORTLOOP_REPLICA_MAX_LAG_SECONDS)
    if staleness is None:
        return ReportSource("default", 0.0, reason="replica unreachable or not streaming")
    if staleness > bound:
        return ReportSource("default", 0.0, reason=f"replica {staleness:.1f} s behind, bound {bound:g} s")
    return ReportSource(alias, staleness, on_replica=True)


@contextmanager
def _reading() -> Iterator[ReportSource]:
    outer = _current.get()
    if outer is not None:  # nested: the outer block decided
        yield outer
        return
    source = choose_report_source()
    token = _current.set(source)
    changed = _report_settings(source.alias)
    memory_token = _memory_raised_on.set(source.alias if "work_mem" in changed else None)
    try:
        yield source
    finally:
        _memory_raised_on.reset(memory_token)
        _current.reset(token)
        if changed:
            _report_settings_reset(source.alias, changed)


def _report_settings(alias: str) -> tuple[str, ...]:
    """PostgreSQL settings for the block's reports, in one statement; the names it set.

    - work_mem: SUPPORTLOOP_REPORT_WORK_MEM for a report's sorts and hashes: a percentile or a distinct count over
      a month of facts (about 330,000 rows at 11,000 tickets a day) sorts on disk with the default 4 MB and in
      memory with 64 MB.
    - plan_cache_mode = force_custom_plan: statements are prepared (settings.py), and after five runs PostgreSQL
      may keep a generic plan, made without the period's dates. For "any fact created after the period?" that plan
      expected a third of the table to match and scanned all 1,000,000 facts (90-180 ms) where the dated plan
      reads one index page. A report's planning is a millisecond against its reads, so it plans with its values.

    Per connection and only while a report reads, so the pages agents use keep the server's defaults."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return ()
    wanted = {"plan_cache_mode": "force_custom_plan"}
    if work_mem := getattr(settings, "SUPPORTLOOP_REPORT_WORK_MEM", ""):
        wanted["work_mem"] = work_mem
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(["set_config(%s, %s, false)"] * len(wanted)),
            [value for pair in wanted.items() for value in pair],
        )
    return tuple(wanted)


def _report_settings_reset(alias: str, names: tuple[str, ...]) -> None:
    """Back to what RESET would give (pg_settings.reset_val), in one statement."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT set_config(name, reset_val, false) FROM pg_settings WHERE name = ANY(%s)", [list(names)]
            )
    except DatabaseError:  # a failed transaction: its rollback undoes the SET as well
        logger.info("%s not reset on %s: the transaction failed", ", ".join(names), alias, exc_info=True)


@overload
def reading_reports(func: F) -> F: ...
@overload
def reading_reports(func: None = None) -> AbstractContextManager[ReportSource]: ...
def reading_reports(func: Callable[..., Any] | None = None) -> Any:
    """Route the reads of a view/function (as a decorator) or of a block (`with reading_reports():`) to the
    replica when it is fresh enough. Only for code that reads: a read after a write in the same block could
    miss the write."""
    if func is None:
        return _reading()

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _reading():
            return func(*args, **kwargs)

    return wrapper


def report_memory_raised(alias: str = "default") -> bool:
    """True inside a reading_reports() block that already gave `alias` the report work_mem, so code that would
    raise it for itself (SET LOCAL) need not."""
    return _memory_raised_on.get() == alias


def current_report_source() -> ReportSource | None:
    """Inside reading_reports(): where its reads go; None outside."""
    return _current.get()


def report_source(request: Any) -> dict[str, Any]:
    """Context processor: `report_source` for templates rendered inside reading_reports()."""
    return {"report_source": _current.get()}


class ReplicaRouter:
    """Reads inside reading_reports() go to the alias it chose; everything else to the primary ("default").
    The replica never gets migrations (it replays the primary's)."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        source = _current.get()
        return source.alias if source is not None and source.on_replica else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db != "default" and db == replica_alias() else None
