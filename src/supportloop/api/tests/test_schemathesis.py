"""Schemathesis over /api/v1/openapi.json against the Django WSGI app, in process, signed in as an admin.

Bounded: at most 20 generated requests per operation. Fails on any 5xx and on any response that does not match
the documented status codes, content types, headers or schemas.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from supportloop.accounts.services import api_token_create, user_create

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, whose request_finished signal closes "old" connections; inside
    a test transaction that would close the test's own connection (PostgreSQL). Django's test Client disconnects
    the same receivers for the same reason."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(db, settings, _keep_the_test_connection):
    settings.SUPPORTLOOP_API_RATE = ""  # hundreds of requests from one user: the rate limit has its own test
    from supportloop.api.tests.role_matrix_cases import build_world

    build_world()  # something for the generated ids to find now and then
    admin = user_create(username="schemathesis", role="admin")
    _token, raw = api_token_create(user=admin, name="schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_conforms_to_its_schema(case, admin_headers):
    case.call_and_validate(headers=admin_headers, checks=CHECKS)
