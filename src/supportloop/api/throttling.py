"""API request rate per account (per client address for the public operations), SUPPORTLOOP_API_RATE, read on
every request so operators and tests can change it live.

Counted in core/ratelimit.py (the database, or the shared cache with REDIS_URL), so the limit holds across
processes and hosts; Ninja's own throttles keep a request history in the cache with a read and a write, which
loses requests between processes. Keyed on the user's id, never on a display name or the proxy's address. A right
bearer token from an address locked for wrong ones (api/auth.py) is refused here too.
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
        # Set by TokenAuth for a right bearer token: its address's wrong-token count, read here with the count of
        # this request in one statement; an address past that limit is refused whatever token it shows.
        guard = getattr(request, "bad_token_window", None)
        peek_key, peek_limit = (guard[0], guard[1].limit) if guard else ("", 0)
        if not settings.SUPPORTLOOP_API_RATE:
            if guard:
                self._last.hit = ratelimit.peek(peek_key, limit=peek_limit)
                return self._last.hit.allowed
            return True
        rate = ratelimit.Rate.parse(settings.SUPPORTLOOP_API_RATE)
        user = getattr(request, "auth", None)
        if user is not None and getattr(user, "pk", None):
            key = f"api:account:{user.pk}"
        else:
            key = f"api:address:{address_bucket(client_address(request))}"
        counted, locked = ratelimit.hit_and_peek(
            key, limit=rate.limit, window=rate.window, peek_key=peek_key, peek_limit=peek_limit
        )
        self._last.hit = locked if locked is not None and not locked.allowed else counted
        return self._last.hit.allowed

    def wait(self) -> float | None:
        hit = getattr(self._last, "hit", None)
        return hit.retry_after if hit is not None else None
