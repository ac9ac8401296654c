"""API rate limit per signed-in user, read from settings.SUPPORTLOOP_API_RATE on every request.

Ninja's AuthRateThrottle keys on str(request.auth), which for a User is a display name two people may
share; this keys on the user's id. Reading the rate per request lets tests and operators change it live.
The counters live in Django's cache (Redis when REDIS_URL is set, so limits hold across processes).
"""
from __future__ import annotations

from django.conf import settings
from ninja.throttling import SimpleRateThrottle


class UserRateThrottle(SimpleRateThrottle):
    scope = "api-user"

    def __init__(self):
        self.rate = None
        self.num_requests = self.duration = None

    def get_cache_key(self, request):
        user = getattr(request, "auth", None)
        if user is None or not getattr(user, "pk", None):
            return None  # anonymous requests are refused with 401 before any throttle runs
        return self.cache_format % {"scope": self.scope, "ident": user.pk}

    def allow_request(self, request) -> bool:
        rate = getattr(settings, "SUPPORTLOOP_API_RATE", None)
        if not rate:
            return True
        self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request)
