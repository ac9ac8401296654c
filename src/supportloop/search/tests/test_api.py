"""GET /api/v1/search: results, problems naming the token, roles, and no 5xx on hostile input."""

from __future__ import annotations

import pytest
from conftest import assert_problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportloop.accounts.choices import Role
from supportloop.tickets.services.tickets import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(db):
    return [
        ticket_create(subject="Refund request", body="Please <b>refund</b> my order", requester_email="a@x.example"),
        ticket_create(subject="Login", body="I cannot log in", requester_email="b@y.example"),
    ]


def test_agent_finds_a_ticket_with_an_escaped_excerpt(api_client, tickets):
    response = api_client(role=Role.AGENT).get("search", {"q": "refunds"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [i["id"] for i in body["items"]] == [tickets[0].number]
    item = body["items"][0]
    assert item["kind"] == "ticket" and item["title"] == "Refund request" and item["status"] == "new"
    assert "&lt;b&gt;<mark>refund</mark>&lt;/b&gt;" in item["excerpt_html"]
    assert body["next_cursor"] is None


def test_other_kinds(api_client, tickets):
    client = api_client(role=Role.VIEWER)  # viewers read: search is reading
    body = client.get("search", {"q": "a@x.example", "type": "contact"}).json()
    assert [i["email"] for i in body["items"]] == ["a@x.example"]


@pytest.mark.parametrize(
    ("q", "token"),
    [
        ("refund colour:red", "colour:red"),
        ("refund created:>2026-13-45", "created:>2026-13-45"),
        ('refund "open', '"open'),
        ("refund tag:nosuch", "tag:nosuch"),
    ],
)
def test_query_errors_are_problems_naming_the_token(api_client, tickets, q, token):
    body = assert_problem(api_client().get("search", {"q": q}), 422, field="q")
    assert body["token"] == token
    assert body["title"] == "Invalid search query"


def test_a_10_kb_query_is_refused_with_the_limit(api_client, tickets):
    body = assert_problem(api_client().get("search", {"q": "refund " * 1500}), 422, field="q")
    assert "500" in body["detail"]


def test_unknown_type_and_bad_cursor(api_client, tickets):
    assert_problem(api_client().get("search", {"q": "refund", "type": "users"}), 422)
    assert_problem(api_client().get("search", {"q": "refund", "cursor": "zzz"}), 422, field="q")


def test_pages_follow_the_cursor(api_client, tickets):
    for i in range(3):
        ticket_create(subject=f"Refund {i}", body="refund", requester_email="a@x.example")
    client = api_client()
    first = client.get("search", {"q": "refund", "limit": 2}).json()
    second = client.get("search", {"q": "refund", "limit": 2, "cursor": first["next_cursor"]}).json()
    ids = [i["id"] for page in (first, second) for i in page["items"]]
    assert len(ids) == 4 == len(set(ids)) and second["next_cursor"] is None


def test_anonymous_is_refused(client, tickets):
    assert_problem(client.get("/api/v1/search", {"q": "refund"}), 401)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=300).filter(lambda s: "\x00" not in s))
def test_any_query_is_an_answer_or_a_problem_never_a_5xx(api_client, tickets, q):
    response = api_client().get("search", {"q": q})
    assert response.status_code in (200, 422), (q, response.content[:300])
