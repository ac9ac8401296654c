"""API authentication: bearer tokens (acting as their user) or the browser session (with CSRF)."""
from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from supportloop.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [TokenAuth(), ActiveSessionAuth()]
