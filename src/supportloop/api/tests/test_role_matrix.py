"""Every endpoint x every role: 401 without credentials, 403 where ROLE_MATRIX says no, success where it says yes."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import assert_problem
from supportloop.accounts.choices import Role
from supportloop.accounts.permissions import ROLE_MATRIX
from supportloop.accounts.services import api_token_create, api_token_revoke, user_create, user_update
from supportloop.api.tests.role_matrix_cases import all_cases, build_world
from supportloop.api.urls import api

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


def _send(client: Client, method: str, case, world, headers: dict):
    url = "/api/v1/" + case.url(world)
    body = case.body(world) if case.body else None
    if method == "GET":
        return client.get(url, **headers)
    if case.multipart:
        return client.post(url, body, **headers)
    return getattr(client, method.lower())(url, body if body is not None else {}, content_type="application/json",
                                           **headers)


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"{k[0]} {k[1]}")
def test_role_matrix(key, db):
    method, _path = key
    case = CASES[key]
    world = build_world()
    if case.setup:
        case.setup(world)
    client = Client()

    # Anonymous, a revoked token, a deactivated user's token and a garbage token are all 401.
    if not case.public:
        user = user_create(username="gone", role=Role.ADMIN)
        token, revoked = api_token_create(user=user, name="old")
        api_token_revoke(token=token, actor=user)
        inactive = user_create(username="left", role=Role.ADMIN)
        _t, inactive_raw = api_token_create(user=inactive, name="x")
        user_update(user=inactive, actor=None, is_active=False)
        for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {revoked}"},
                        {"HTTP_AUTHORIZATION": f"Bearer {inactive_raw}"}, {"HTTP_AUTHORIZATION": "Bearer slp_nope"}):
            assert_problem(_send(client, method, case, world, headers), 401)

    for role in ROLES:
        caller = user_create(username=f"caller-{role}", role=role)
        _token, raw = api_token_create(user=caller, name="auth")
        world.caller_token_id = api_token_create(user=caller, name="spare")[0].pk
        response = _send(client, method, case, world, {"HTTP_AUTHORIZATION": f"Bearer {raw}"})
        allowed = case.action is None or role in ROLE_MATRIX[case.action]
        if allowed:
            assert response.status_code == case.status, (role, response.status_code, response.content[:400])
        else:
            body = assert_problem(response, 403)
            assert case.action in body["detail"], body
