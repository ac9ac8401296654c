"""Who is looking at a ticket right now, and who is typing a reply: kept in Django's cache only (Redis when
REDIS_URL is set, so every web host sees the same), never in the database. Pages send a heartbeat every ~10 s;
an entry older than PRESENCE_SECONDS is gone, so a closed tab disappears on its own.

One cache entry per ticket holds {user id: [name, state, last seen (epoch seconds)]}. Two heartbeats at the
same moment may overwrite each other; the next heartbeat (10 s later) puts the lost one back, which is good
enough for an indicator and needs no lock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

PRESENCE_SECONDS = 30  # three missed heartbeats
VIEWING = "viewing"
REPLYING = "replying"
STATES = (VIEWING, REPLYING)


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    state: str  # VIEWING or REPLYING


def _key(number: int) -> str:
    return f"presence:ticket:{number}"


def _alive(entries: dict, now: float) -> dict:
    return {uid: entry for uid, entry in (entries or {}).items() if now - entry[2] < PRESENCE_SECONDS}


def presence_touch(*, number: int, user_id: int, name: str, state: str = VIEWING) -> None:
    """Record that the user has ticket `number` open (`state` REPLYING while typing in the composer)."""
    now = time.time()
    entries = _alive(cache.get(_key(number)) or {}, now)
    entries[user_id] = [name, state if state in STATES else VIEWING, now]
    cache.set(_key(number), entries, PRESENCE_SECONDS)


def presence_leave(*, number: int, user_id: int) -> None:
    """The user closed the ticket (pagehide): drop them at once rather than after the expiry."""
    entries = cache.get(_key(number)) or {}
    if entries.pop(user_id, None) is not None:
        cache.set(_key(number), entries, PRESENCE_SECONDS)


def _people(entries: dict, now: float, exclude_user_id: int | None) -> list[Presence]:
    people = [
        Presence(user_id=uid, name=entry[0], state=entry[1])
        for uid, entry in _alive(entries, now).items()
        if uid != exclude_user_id
    ]
    return sorted(people, key=lambda p: (p.state != REPLYING, p.name))


def presence_for_ticket(*, number: int, exclude_user_id: int | None = None) -> list[Presence]:
    """Who else has the ticket open, those replying first."""
    return _people(cache.get(_key(number)) or {}, time.time(), exclude_user_id)


def presence_for_tickets(*, numbers: list[int], exclude_user_id: int | None = None) -> dict[int, list[Presence]]:
    """The same for many tickets (inbox rows) in one cache round trip; tickets nobody has open are left out."""
    found = cache.get_many([_key(n) for n in numbers])
    now = time.time()
    result = {}
    for number in numbers:
        people = _people(found.get(_key(number)) or {}, now, exclude_user_id)
        if people:
            result[number] = people
    return result
