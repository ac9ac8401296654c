"""Login throttling: a small cache-based limit per (username, client address).

Chosen over django-axes because axes' authentication backend refuses `authenticate()` calls without a
request (the API and tests call it without one) and needs its own tables; this counter is 30 lines and uses
the shared cache (Redis in production), so it holds across web processes.
"""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

LIMIT = 5          # failed attempts ...
WINDOW = 15 * 60   # ... within this many seconds lock the pair out for the rest of the window


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}|{address}".encode()).hexdigest()[:32]
    return f"login-fail:{digest}"


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def is_locked(username: str, address: str) -> bool:
    limit = getattr(settings, "SUPPORTLOOP_LOGIN_LIMIT", LIMIT)
    return (cache.get(_key(username, address)) or 0) >= limit


def record_failure(username: str, address: str) -> None:
    key = _key(username, address)
    window = getattr(settings, "SUPPORTLOOP_LOGIN_WINDOW", WINDOW)
    if not cache.add(key, 1, window):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, window)


def reset(username: str, address: str) -> None:
    cache.delete(_key(username, address))
