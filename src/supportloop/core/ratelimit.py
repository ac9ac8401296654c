"""Rate-limit counters that every process and host sees: the sign-in throttle and the API limits count here.

A counter is a key and the hits in its window; the window opens with the first hit and lasts `window` seconds
(so a lockout lasts the rest of the window that the first failure opened, and hammering does not extend it).
`hit()` counts first and answers after, in one atomic step, so however many processes race, exactly `limit`
hits are allowed per window.

Where the counters live (SUPPORTLOOP_RATE_LIMIT_STORE):
- "database" (the default without REDIS_URL): table core_ratecounter, one INSERT ... ON CONFLICT DO UPDATE ...
  RETURNING statement per hit (PostgreSQL, SQLite >= 3.35). Django's database cache is not used: its incr()
  is a read then a write, which loses hits between processes.
- "cache" (the default with REDIS_URL): Django's cache, add() then incr(), atomic in Redis. With a per-process
  cache (local memory) this would count per process; `check --deploy` refuses that combination.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from supportloop.core.lookup import one_or_none
from supportloop.core.models import RateCounter

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "N/s", "N/m", "N/h", "N/d" (also "N/15m": N per 15 minutes)."""
        count, _, period = text.strip().partition("/")
        number = period.rstrip("smhd") or "1"
        if not count.isdigit() or not number.isdigit() or not period or period[-1] not in UNITS:
            raise ValueError(f"{text!r} is not a rate such as '10/m' or '5/15m'")
        return cls(limit=int(count), window=int(number) * UNITS[period[-1]])


@dataclass(frozen=True)
class Hit:
    count: int  # hits in the window, this one included
    limit: int
    ends_at: float  # Unix time the window closes

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.ends_at - time.time()))


def _store() -> str:
    return getattr(settings, "SUPPORTLOOP_RATE_LIMIT_STORE", "database")


def _table() -> str:
    return connection.ops.quote_name(RateCounter._meta.db_table)


def hit(key: str, *, limit: int, window: int) -> Hit:
    """Count one hit on `key` and say whether it is within `limit` hits per `window` seconds."""
    return hit_and_peek(key, limit=limit, window=window)[0]


def hit_and_peek(
    key: str, *, limit: int, window: int, peek_key: str = "", peek_limit: int = 0
) -> tuple[Hit, Hit | None]:
    """Count one hit on `key` (as hit()) and, when `peek_key` is given, read that key's window without counting
    (as peek()): one statement in the database store, so an API request pays one round trip for its own rate and
    its address's wrong-token count together."""
    now = time.time()
    if _store() == "cache":
        counted = _cache_hit(key, limit=limit, window=window, now=now)
        return counted, peek(peek_key, limit=peek_limit) if peek_key else None
    table, key_column = _table(), connection.ops.quote_name("key")
    # Scalar subqueries in RETURNING read the other key's open window in the same statement (PostgreSQL, SQLite).
    peeked = (
        f", (SELECT p.hits FROM {table} p WHERE p.{key_column} = %s AND p.expires_at > %s), "  # noqa: S608 - the model's table and column names, quoted; every value is a parameter
        f"(SELECT p.expires_at FROM {table} p WHERE p.{key_column} = %s AND p.expires_at > %s)"
        if peek_key
        else ""
    )
    params: list[str | float] = [key, now + window, now, now]
    if peek_key:
        params += [peek_key, now, peek_key, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, hits, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 - the model's table and column names, quoted; every value is a parameter
            f"ON CONFLICT ({key_column}) DO UPDATE SET "
            f"hits = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}.hits + 1 END, "
            f"expires_at = CASE WHEN {table}.expires_at <= %s THEN excluded.expires_at ELSE {table}.expires_at END "
            f"RETURNING hits, expires_at{peeked}",
            params,
        )
        count, ends_at, *other = cursor.fetchone()
        if count == 1:  # a window opened: sweep the ones that closed (indexed, usually a handful of rows)
            cursor.execute(f"DELETE FROM {table} WHERE expires_at < %s", [now])  # noqa: S608 - the model's table name, quoted; the time is a parameter
    counted = Hit(count=count, limit=limit, ends_at=ends_at)
    if not peek_key:
        return counted, None
    return counted, Hit(count=other[0] or 0, limit=peek_limit, ends_at=other[1] or now)


def peek(key: str, *, limit: int) -> Hit:
    """The current window of `key` without counting a hit (count 0 when none is open)."""
    now = time.time()
    if _store() == "cache":
        name = _cache_key(key)
        found = cache.get_many([name, name + ":ends"])  # one round trip to Redis
        count = found.get(name) or 0
        ends_at = found.get(name + ":ends") or now
    else:
        row = one_or_none(RateCounter.objects.filter(key=key, expires_at__gt=now).values_list("hits", "expires_at"))
        count, ends_at = row or (0, now)
    return Hit(count=count, limit=limit, ends_at=ends_at)


def undo(key: str) -> None:
    """Take back one hit (an attempt that turned out not to count, e.g. a successful sign-in)."""
    if _store() == "cache":
        with contextlib.suppress(ValueError):
            cache.decr(_cache_key(key))
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET hits = hits - 1 WHERE {connection.ops.quote_name('key')} = %s AND hits > 0",  # noqa: S608 - the model's table and column names, quoted; the key is a parameter
            [key],
        )


def clear(key: str) -> None:
    """Close the window of `key` (e.g. an account's failures after it signs in)."""
    if _store() == "cache":
        cache.delete_many([_cache_key(key), _cache_key(key) + ":ends"])
        return
    RateCounter.objects.filter(key=key).delete()


def _cache_key(key: str) -> str:
    return f"ratelimit:{key}"


def _cache_hit(key: str, *, limit: int, window: int, now: float) -> Hit:
    name = _cache_key(key)
    if cache.add(name, 1, timeout=window):
        cache.set(name + ":ends", now + window, timeout=window)
        return Hit(count=1, limit=limit, ends_at=now + window)
    try:
        count = cache.incr(name)
    except ValueError:  # the window closed between add() and incr()
        cache.set(name, 1, timeout=window)
        cache.set(name + ":ends", now + window, timeout=window)
        return Hit(count=1, limit=limit, ends_at=now + window)
    return Hit(count=count, limit=limit, ends_at=cache.get(name + ":ends") or now + window)
