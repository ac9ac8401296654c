"""API request rate per account (per client address for the public operations), SUPPORTLOOP_API_RATE, read on
every request so operators and tests can change it live.

Counted in core/ratelimit.py (the database, or the shared cache with REDIS_URL), so the limit holds across
processes and hosts; Ninja's own throttles keep a request history in the cache with a read and a write, which
loses requests between processes. Keyed on the user's id, never on a display name or the proxy's address.
"""

from __future__ import annotations

import threading

from django.conf import settings
from ninja.throttling import BaseThrottle

from supportloop.core import ratelimit
from supportloop.core.clients import address_bucket, client_address


class AccountRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._last = threading.local()  # one instance serves every request (and thread)

    def allow_request(self, request) -> bool:
        self._last.hit = None
        if not settings.SUPPORTLOOP_API_RATE:
            return True
        rate = ratelimit.Rate.parse(settings.SUPPORTLOOP_API_RATE)
        user = getattr(request, "auth", None)
        if user is not None and getattr(user, "pk", None):
            key = f"api:account:{user.pk}"
        else:
            key = f"api:address:{address_bucket(client_address(request))}"
        self._last.hit = ratelimit.hit(key, limit=rate.limit, window=rate.window)
        return self._last.hit.allowed

    def wait(self) -> float | None:
        hit = getattr(self._last, "hit", None)
        return hit.retry_after if hit is not None else None
