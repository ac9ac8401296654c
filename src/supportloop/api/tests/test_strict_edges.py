"""Unknown query parameters, form fields and unexpected bodies are refused (422 naming them) on every operation,
the same way unknown fields of a JSON body are. Walks the OpenAPI document through the role-matrix cases, so a
new endpoint is covered without a line here."""

from __future__ import annotations

import json

import pytest
from conftest import assert_problem
from django.core import mail
from django.test import Client

from supportloop.accounts.services import api_token_create, user_create
from supportloop.api.tests.role_matrix_cases import all_cases, build_world
from supportloop.api.urls import api
from supportloop.tickets.models import Ticket

CASES = all_cases()
METHODS = {"get", "post", "put", "patch", "delete"}


def _operations() -> dict[tuple[str, str], dict]:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return {
        (method.upper(), path): op
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    }


OPERATIONS = _operations()
GETS = sorted(key for key in OPERATIONS if key[0] == "GET")
WITHOUT_BODY = sorted(key for key, op in OPERATIONS.items() if key[0] != "GET" and "requestBody" not in op)


def _admin_headers() -> dict:
    admin = user_create(username="strict-admin", role="admin")
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=admin, name='strict')[1]}"}


def _url(case, world, extra_query: str) -> str:
    url = "/api/v1/" + case.url(world)
    return url + ("&" if "?" in url else "?") + extra_query


def test_the_walk_covers_reads_and_bodiless_writes():
    assert len(GETS) > 30 and ("POST", "/api/v1/feedback/digest/send") in WITHOUT_BODY


@pytest.mark.parametrize("key", GETS, ids=lambda k: f"{k[0]} {k[1]}")
def test_every_read_refuses_an_unknown_query_parameter(key, db):
    case = CASES[key]
    world = build_world()
    if case.setup:
        case.setup(world)
    headers = {} if case.public else _admin_headers()
    response = Client().get(_url(case, world, "stauts=open"), **headers)
    body = assert_problem(response, 422, field="stauts")
    assert body["errors"]["stauts"] == "unknown query parameter"
    assert "stauts" in body["detail"]


@pytest.mark.parametrize("key", WITHOUT_BODY, ids=lambda k: f"{k[0]} {k[1]}")
def test_every_operation_without_a_body_refuses_one_and_does_nothing(key, db, django_capture_on_commit_callbacks):
    case = CASES[key]
    world = build_world()
    if case.setup:
        case.setup(world)
    url = "/api/v1/" + case.url(world)
    headers = _admin_headers()  # may create the admin: only the request's own side effects are watched
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = getattr(Client(), key[0].lower())(
            url, json.dumps({"week_start": "2020-01-06"}), content_type="application/json", **headers
        )
    body = assert_problem(response, 422, field="week_start")
    assert body["errors"]["week_start"] == "this operation takes no request body"
    assert callbacks == [] and mail.outbox == []


def test_a_write_with_an_unknown_query_parameter_writes_nothing(api_client):
    client = api_client(role="admin")
    before = Ticket.objects.count()
    response = client.post(
        "tickets?notify=false", {"subject": "Hi", "body": "Text", "requester_email": "a@example.org"}
    )
    assert_problem(response, 422, field="notify")
    assert Ticket.objects.count() == before


def test_a_misspelt_filter_is_refused_instead_of_returning_every_ticket(api_client, db):
    client = api_client(role="agent")
    world = build_world()
    assert_problem(client.get("tickets", {"stauts": "solved"}), 422, field="stauts")
    assert [t["number"] for t in client.get("tickets", {"status": "new"}).json()["items"]] == [world.ticket.number]
    assert client.get("tickets", {"status": "solved"}).json()["items"] == []


def test_unknown_form_fields_of_an_upload_are_refused(api_client, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_client(role="agent")
    world = build_world()
    response = client.client.post(
        f"/api/v1/tickets/{world.ticket.number}/attachments",
        {"files": SimpleUploadedFile("a.txt", b"a"), "mesage_id": "1"},
        **client.headers,
    )
    assert_problem(response, 422, field="mesage_id")
    assert world.message.attachments.count() == 1  # only the world's own


def test_the_digest_send_with_a_week_in_its_body_mails_nobody(
    api_client, make_user, django_capture_on_commit_callbacks
):
    make_user("product")
    client = api_client(role="product")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("feedback/digest/send", {"week_start": "2020-01-06"})
    assert_problem(response, 422, field="week_start")
    assert mail.outbox == []


def test_an_empty_json_object_counts_as_no_body(api_client, db):
    client = api_client(role="admin")
    token_id = api_token_create(user=client.user, name="spare")[0].pk
    assert client.delete(f"tokens/{token_id}", {}).status_code == 200
