"""API authentication: bearer tokens (acting as their user) or the browser session (with CSRF).

A caller with neither a valid token nor a signed-in session gets 401 for reads and writes alike: the CSRF check
protects a browser session, so it runs only when there is one (a session write without the CSRF token is 403).
A read-only token (every viewer's) may only read: any other method is 403 naming the reason.

Wrong, revoked or malformed bearer tokens count per client address (SUPPORTLOOP_API_BAD_TOKEN_RATE, counters in
core/ratelimit.py); past the limit every bearer request from that address is 429 until the window closes, a
right token included (checked by the account throttle, see api/throttling.py), so guessing gains nothing. Each
wrong token and each such lockout is a SignInFailure row.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.security import HttpBearer, SessionAuth

from supportloop.accounts.choices import SignInChannel, SignInOutcome
from supportloop.accounts.models import User
from supportloop.accounts.services import api_token_is_read_only, api_token_resolve
from supportloop.accounts.signin import failure_record
from supportloop.core import ratelimit
from supportloop.core.clients import address_bucket, client_address
from supportloop.core.errors import PermissionDenied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiRequest(HttpRequest):
    """For annotations: a request Ninja authenticated with TokenAuth or ActiveSessionAuth; `auth` is its user."""

    auth: User


def bad_token_window(request: HttpRequest) -> tuple[str, ratelimit.Rate] | None:
    """The wrong-token counter of the request's client address and its rate (None when the limit is off)."""
    if not settings.SUPPORTLOOP_API_BAD_TOKEN_RATE:
        return None
    rate = ratelimit.Rate.parse(settings.SUPPORTLOOP_API_BAD_TOKEN_RATE)
    return f"api:bad-token:{address_bucket(client_address(request))}", rate


def _wrong_token_count(request: HttpRequest) -> None:
    """Count a wrong token against the client address; raise Throttled past the limit."""
    window = bad_token_window(request)
    if window is None:
        return
    key, rate = window
    address = client_address(request)
    hit = ratelimit.hit(key, limit=rate.limit, window=rate.window)
    if hit.allowed:
        failure_record(
            channel=SignInChannel.API,
            outcome=SignInOutcome.FAILED,
            username="",
            address=address,
            detail="wrong, revoked or malformed bearer token",
        )
    elif hit.count == hit.limit + 1:
        failure_record(
            channel=SignInChannel.API,
            outcome=SignInOutcome.LOCKED_OUT,
            username="",
            address=address,
            detail=f"address locked: {rate.limit} wrong tokens within {rate.window} s",
        )
    if not hit.allowed:
        raise Throttled(wait=hit.retry_after)


class TokenAuth(HttpBearer):
    def authenticate(self, request, token) -> User | None:
        api_token = api_token_resolve(token)
        if api_token is None:
            _wrong_token_count(request)
            return None
        # A right token from an address locked for wrong ones is refused too; the account throttle, which runs
        # next on every operation, reads that count in the statement that counts the request (api/throttling.py).
        request.bad_token_window = bad_token_window(request)
        if request.method not in SAFE_METHODS and api_token_is_read_only(api_token):
            raise PermissionDenied(
                f"This API token ({api_token.prefix}…) is read-only: it may only read "
                "(GET, HEAD). Use a token without read_only to write."
            )
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class ActiveSessionAuth(SessionAuth):
    def _get_key(self, request) -> str | None:
        if not request.user.is_authenticated:
            return None  # no session: nothing for a CSRF check to protect; the caller gets 401
        return super()._get_key(request)

    def authenticate(self, request, key) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [TokenAuth(), ActiveSessionAuth()]
