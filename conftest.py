"""Project-wide test toolkit: users per role, API clients, and problem assertions here; make_company,
make_contact, make_ticket and make_item in tests/supportloop_testing/fixtures.py."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from supportloop.accounts.choices import Role
from supportloop.accounts.services import api_token_create, user_create

pytest_plugins = ["supportloop_testing.fixtures"]


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Rate-limit counters live in the cache; ids repeat across tests, so every test starts with none.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def fake_dns(monkeypatch):
    """Host names for supportloop.core.netguard: `fake_dns.table[name] = [addresses]` (or a list of such lists,
    one answer per lookup); other names, and numeric forms, go to the real resolver. `fake_dns.calls` lists
    the lookups."""
    from supportloop.core import netguard

    real = netguard.resolve
    table: dict[str, list] = {}
    calls: list[str] = []

    def resolve(host, port):
        calls.append(host)
        if host in table:
            answer = table[host]
            return answer.pop(0) if answer and isinstance(answer[0], list) else answer
        return real(host, port)

    resolve.table, resolve.calls = table, calls
    monkeypatch.setattr(netguard, "resolve", resolve)
    return resolve


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    def _make(role: str = Role.AGENT, **kwargs):
        counter["n"] += 1
        username = kwargs.pop("username", f"{role}{counter['n']}")
        return user_create(
            username=username, email=f"{username}@staff.example", password="pw-123456-x", role=role, **kwargs
        )

    return _make


class ApiClient:
    """A test client that speaks JSON to /api/v1 with a bearer token."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, data=None, raw: str | bytes | None = None, **extra):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        fn = getattr(self.client, method)
        kwargs = {**self.headers, **extra}
        if method == "get":
            return fn(url, data or {}, **kwargs)
        body = raw if raw is not None else json.dumps(data if data is not None else {})
        return fn(url, body, content_type="application/json", **kwargs)

    def get(self, path, params=None, **extra):
        return self._call("get", path, params, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data, **extra)

    def patch(self, path, data=None, **extra):
        return self._call("patch", path, data, **extra)

    def put(self, path, data=None, **extra):
        return self._call("put", path, data, **extra)

    def delete(self, path, data=None, **extra):
        return self._call("delete", path, data, **extra)


@pytest.fixture
def api_client(make_user):
    def _client(user=None, role: str = Role.AGENT):
        user = user or make_user(role)
        _token, raw = api_token_create(user=user, name="test")
        client = ApiClient(raw)
        client.user = user
        return client

    return _client


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert field in body["errors"], body
    return body
