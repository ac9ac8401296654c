"""One way to turn an untrusted id into an object: a URL id that matches nothing is a 404, a body reference that
matches nothing (or a row outside its parent, such as another ticket's message) is a 422 naming the field, and no
malformed or oversized id is ever a 500."""

from __future__ import annotations

import ast
import pathlib

import pytest
from conftest import assert_problem

from supportloop.accounts.choices import Role
from supportloop.feedback.models import Evidence
from supportloop.feedback.services import feedback_item_create
from supportloop.tickets.services import ticket_create

ROUTERS = pathlib.Path(__file__).resolve().parents[1] / "routers"
HUGE = 2**70


@pytest.fixture
def world(api_client):
    pm = api_client(role=Role.PRODUCT)
    admin = api_client(role=Role.ADMIN)
    one = ticket_create(subject="one", body="first", requester_email="a@one.example", actor=pm.user)
    two = ticket_create(subject="two", body="second", requester_email="b@two.example", actor=pm.user)
    item = feedback_item_create(kind="feature_request", title="Excel export", actor=pm.user)
    return {"pm": pm, "admin": admin, "one": one, "two": two, "item": item}


def test_a_message_of_another_ticket_in_a_body_is_422_naming_the_field(world):
    pm, one, two, item = world["pm"], world["one"], world["two"], world["item"]
    foreign = two.messages.get().pk
    r = pm.post(f"feedback/items/{item.pk}/evidence", {"ticket_number": one.number, "message_id": foreign})
    assert_problem(r, 422, field="message_id")
    assert not Evidence.objects.exists()
    # The same message with its own ticket is accepted: the scope is the parent, not the id.
    r = pm.post(f"feedback/items/{item.pk}/evidence", {"ticket_number": two.number, "message_id": foreign})
    assert r.status_code == 201, r.content
    assert r.json()["message_id"] == foreign


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("feedback/items/{item}/evidence", {"ticket_number": 999999}, "ticket_number"),
        ("feedback/items/{item}/evidence", {"source": "call", "message_id": 999999}, "message_id"),
        ("feedback/items/{item}/evidence", {"source": "call", "contact_id": 999999}, "contact_id"),
        ("feedback/items/{item}/merge", {"target_id": 999999}, "target_id"),
        ("feedback/items", {"title": "t", "owner_id": 999999}, "owner_id"),
        ("feedback/bugs", {"title": "t", "ticket_number": 999999}, "ticket_number"),
        ("teams", {"name": "T", "slug": "t", "member_ids": [999999]}, "member_ids"),
        ("tickets/{ticket}/macros", {"macro_id": 999999}, "macro_id"),
    ],
)
def test_unknown_body_references_are_422_naming_the_field(world, path, payload, field):
    client = world["admin"]
    path = path.format(item=world["item"].pk, ticket=world["one"].number)
    assert_problem(client.post(path, payload), 422, field=field)


@pytest.mark.parametrize(
    "path",
    [
        "tickets/{huge}",
        "tickets/{huge}/events",
        "contacts/{huge}",
        "companies/{huge}",
        "users/{huge}",
        "macros/{huge}",
        "feedback/items/{huge}",
        "feedback/items/{huge}/evidence",
        "tickets/1/attachments/{huge}",
        "mail/quarantine/{huge}/raw",
        "tickets/abc",
        "feedback/items/-1",
    ],
)
def test_malformed_or_oversized_url_ids_are_404_or_422_never_500(world, path):
    r = world["admin"].get(path.format(huge=HUGE))
    assert r.status_code in (404, 422), (path, r.status_code, r.content[:300])


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("feedback/items/{item}/evidence", {"ticket_number": "abc"}, "ticket_number"),
        ("feedback/items/{item}/evidence", {"source": "call", "message_id": HUGE}, "message_id"),
        ("feedback/items/{item}/evidence", {"source": "call", "contact_id": HUGE}, "contact_id"),
        ("feedback/items/{item}/merge", {"target_id": HUGE}, "target_id"),
        ("feedback/items/{item}/merge", {"target_id": "x"}, "target_id"),
        ("feedback/items", {"title": "t", "owner_id": HUGE}, "owner_id"),
        ("feedback/bugs", {"title": "t", "ticket_number": HUGE}, "ticket_number"),
        ("teams", {"name": "T", "slug": "t", "member_ids": [HUGE]}, "member_ids"),
        ("tickets/{ticket}/macros", {"macro_id": HUGE}, "macro_id"),
        ("mail/quarantine/1/release", {"contact_id": HUGE}, None),
    ],
)
def test_malformed_or_oversized_body_ids_are_never_500(world, path, payload, field):
    path = path.format(item=world["item"].pk, ticket=world["one"].number)
    r = world["admin"].post(path, payload)
    assert r.status_code in (404, 422), (path, r.status_code, r.content[:300])
    if field is not None:
        errors = assert_problem(r, 422)["errors"]
        assert any(key.split(".")[0] == field for key in errors), errors  # member_ids.0 names member_ids


def test_routers_make_no_orm_reads_of_their_own():
    """Routers read through the owning app's selectors: no `.objects`, no `DoesNotExist` in api/routers."""
    offenders = [
        f"{path.name}:{node.lineno} .{node.attr}"
        for path in sorted(ROUTERS.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in ("objects", "DoesNotExist")
    ]
    assert offenders == []
