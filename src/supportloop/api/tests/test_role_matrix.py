"""Every endpoint x every role: 401 without credentials (writes too: no CSRF answer for a caller without a session),
403 where ROLE_MATRIX says no, success where it says yes; a read-only token (every viewer's) may only read."""

from __future__ import annotations

import pytest
from conftest import assert_problem
from django.test import Client

from supportloop.accounts.choices import Role
from supportloop.accounts.permissions import ROLE_MATRIX
from supportloop.accounts.services import api_token_create, api_token_revoke, user_create, user_update
from supportloop.api.tests.role_matrix_cases import all_cases, build_world
from supportloop.api.urls import api
from supportloop.core.models import Event

ROLES = list(Role.values)
METHODS = {"get", "post", "put", "patch", "delete"}
CASES = all_cases()


def api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops if method in METHODS}


def test_every_api_operation_has_a_role_matrix_row():
    operations = api_operations()
    missing = sorted(operations - set(CASES))
    stale = sorted(set(CASES) - operations)
    assert not missing, f"add these to api/tests/role_matrix_cases.py CASES: {missing}"
    assert not stale, f"these CASES rows name operations that no longer exist: {stale}"


def test_every_case_names_an_action_of_the_role_matrix():
    unknown = sorted({c.action for c in CASES.values() if c.action is not None} - set(ROLE_MATRIX))
    assert not unknown


def _prepare(method: str, case, world) -> tuple:
    """The URL and body of one call; building them may create objects (and their events)."""
    return method, "/api/v1/" + case.url(world), case.body(world) if case.body else None, case.multipart


def _call(client: Client, prepared: tuple, headers: dict):
    method, url, body, multipart = prepared
    if method == "GET":
        return client.get(url, **headers)
    if multipart:
        return client.post(url, body, **headers)
    return getattr(client, method.lower())(
        url, body if body is not None else {}, content_type="application/json", **headers
    )


def _send(client: Client, method: str, case, world, headers: dict):
    return _call(client, _prepare(method, case, world), headers)


def _refused_as_read_only(client: Client, method: str, case, world, raw: str) -> None:
    prepared = _prepare(method, case, world)
    events = Event.objects.count()
    body = assert_problem(_call(client, prepared, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}), 403)
    assert "read-only" in body["detail"], body
    assert Event.objects.count() == events  # nothing was written


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"{k[0]} {k[1]}")
def test_role_matrix(key, db):
    method, _path = key
    case = CASES[key]
    world = build_world()
    if case.setup:
        case.setup(world)
    client = Client()

    # Anonymous, a revoked token, a deactivated user's token and a garbage token are all 401, for writes too: a
    # caller without a session gets no CSRF check (that is for browser sessions), so the client enforces CSRF.
    if not case.public:
        anonymous = Client(enforce_csrf_checks=True)
        user = user_create(username="gone", role=Role.ADMIN)
        token, revoked = api_token_create(user=user, name="old")
        api_token_revoke(token=token, actor=user)
        inactive = user_create(username="left", role=Role.ADMIN)
        _t, inactive_raw = api_token_create(user=inactive, name="x")
        user_update(user=inactive, actor=None, is_active=False)
        for headers in (
            {},
            {"HTTP_AUTHORIZATION": f"Bearer {revoked}"},
            {"HTTP_AUTHORIZATION": f"Bearer {inactive_raw}"},
            {"HTTP_AUTHORIZATION": "Bearer slp_nope"},
        ):
            assert_problem(_send(anonymous, method, case, world, headers), 401)

    writes = method != "GET"
    for role in ROLES:
        caller = user_create(username=f"caller-{role}", role=role)
        token, raw = api_token_create(user=caller, name="auth")
        world.caller_token_id = api_token_create(user=caller, name="spare")[0].pk
        allowed = case.action is None or role in ROLE_MATRIX[case.action]
        if writes and token.read_only and not case.public:  # a viewer's token: refused before the role is asked
            _refused_as_read_only(client, method, case, world, raw)
            signed_in = Client()
            signed_in.force_login(caller)
            response = _send(signed_in, method, case, world, {})  # the same caller in a browser session
        else:
            response = _send(client, method, case, world, {"HTTP_AUTHORIZATION": f"Bearer {raw}"})
        if allowed:
            assert response.status_code == case.status, (role, response.status_code, response.content[:400])
        else:
            body = assert_problem(response, 403)
            assert case.action in body["detail"], body

    # A read-only token of an admin reads what the admin reads and writes nothing.
    if not case.public:
        admin = user_create(username="reader", role=Role.ADMIN)
        _token, raw = api_token_create(user=admin, name="reader", read_only=True)
        world.caller_token_id = api_token_create(user=admin, name="spare")[0].pk
        if writes:
            _refused_as_read_only(client, method, case, world, raw)
        else:
            response = _send(client, method, case, world, {"HTTP_AUTHORIZATION": f"Bearer {raw}"})
            assert response.status_code == case.status, (response.status_code, response.content[:400])
