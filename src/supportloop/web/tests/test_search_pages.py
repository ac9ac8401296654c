"""The search results page and the header type-ahead fragment (issue 13)."""

from __future__ import annotations

import pytest
from django.test import Client

from supportloop.accounts.choices import Role
from supportloop.tickets.services.tickets import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(make_user):
    client = Client()
    client.force_login(make_user(Role.AGENT))
    return client


@pytest.fixture
def ticket(db):
    return ticket_create(
        subject="Refund please", body="<img src=x onerror=alert(1)> I want a refund", requester_email="r@x.example"
    )


def test_results_page_shows_escaped_highlighted_excerpts(agent_client, ticket):
    response = agent_client.get("/search/", {"q": "refunds"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"/t/{ticket.number}/" in html
    assert "<mark>refund</mark>" in html
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_a_number_or_an_exact_email_jumps(agent_client, ticket):
    assert agent_client.get("/search/", {"q": f"#{ticket.number}"})["Location"] == f"/t/{ticket.number}/"
    assert agent_client.get("/search/", {"q": str(ticket.number)})["Location"] == f"/t/{ticket.number}/"
    location = agent_client.get("/search/", {"q": "R@X.example"})["Location"]
    assert location == f"/customers/contacts/{ticket.requester_id}/"


def test_a_bad_query_is_an_inline_error_not_a_500(agent_client, ticket):
    response = agent_client.get("/search/", {"q": "refund colour:red"})
    assert response.status_code == 200
    assert "colour:red" in response.content.decode() and 'role="alert"' in response.content.decode()


def test_suggest_fragment_groups_by_kind(agent_client, ticket):
    html = agent_client.get("/search/suggest/", {"q": "refu"}, HTTP_HX_REQUEST="true").content.decode()
    assert "search-group-title" in html and f"/t/{ticket.number}/" in html
    assert "/search/?q=refu" in html
    html = agent_client.get("/search/suggest/", {"q": "r@x.example"}).content.decode()
    assert f"/customers/contacts/{ticket.requester_id}/" in html


def test_anonymous_is_sent_to_sign_in(client, ticket):
    assert client.get("/search/", {"q": "refund"})["Location"].startswith("/login/")
