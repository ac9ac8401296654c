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


# -- ticket results in the inbox's layout (issue 13: rows, sorting, bulk actions, saved searches) ------------------


def _row_numbers(html: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(r'<tr data-href="/t/(\d+)/"', html)]


def test_ticket_results_use_the_inbox_rows_with_the_excerpt_under_the_subject(agent_client, ticket):
    html = agent_client.get("/search/", {"q": "refund"}).content.decode()
    assert f'id="row-{ticket.number}"' in html and 'form="bulk"' in html  # the inbox's Jinja row
    assert '<table class="inbox search-tickets">' in html
    row = html[html.index(f'id="row-{ticket.number}"') :]
    row = row[: row.index("</tr>")]
    assert row.index("Refund please") < row.index('class="small excerpt"')  # excerpt under the subject
    assert "<mark>refund</mark>" in row and "&lt;img src=x" in row and "<img src=x" not in row
    assert 'id="bulk"' in html and 'action="/inbox/bulk/"' in html


def test_ticket_results_sort_by_relevance_newest_or_last_updated(agent_client, make_user):
    from datetime import timedelta

    from django.utils import timezone

    from supportloop.search.models import SearchDocument
    from supportloop.tickets.models import Ticket

    # relevance: "invoice" in the subject (weight A) beats a body mention; created and updated set by hand
    best = ticket_create(subject="Invoice missing", body="invoice", requester_email="a@x.example")
    newest = ticket_create(subject="Question", body="about my invoice", requester_email="b@x.example")
    touched = ticket_create(subject="Hello", body="an invoice again", requester_email="c@x.example")
    now = timezone.now()
    dates = {best: (now - timedelta(days=3), now - timedelta(days=2)), newest: (now, now - timedelta(days=1))}
    dates[touched] = (now - timedelta(days=5), now + timedelta(minutes=1))
    for t, (created, updated) in dates.items():
        Ticket.objects.filter(pk=t.pk).update(created_at=created, updated_at=updated)
        SearchDocument.objects.filter(kind="ticket", object_id=t.pk).update(sort_at=updated)

    def order(sort):
        return _row_numbers(agent_client.get("/search/", {"q": "invoice", "sort": sort}).content.decode())

    assert order("relevance")[0] == best.number
    assert order("created") == [newest.number, best.number, touched.number]
    assert order("updated") == [touched.number, newest.number, best.number]
    assert order("nonsense") == order("relevance")


def test_more_results_come_as_inbox_rows_for_htmx(agent_client):
    for i in range(27):
        ticket_create(subject=f"Printer {i}", body="printer jam", requester_email=f"p{i}@x.example")
    first = agent_client.get("/search/", {"q": "printer"}).content.decode()
    assert len(_row_numbers(first)) == 25 and 'id="more-row"' in first
    import re

    more_url = re.search(r'hx-get="\?([^"]+)"', first).group(1).replace("&amp;", "&")
    rest = agent_client.get("/search/?" + more_url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in rest and len(_row_numbers(rest)) == 2
    assert not set(_row_numbers(rest)) & set(_row_numbers(first))


def test_bulk_status_change_from_the_results_returns_to_them(agent_client, ticket):
    other = ticket_create(subject="Refund again", body="refund", requester_email="o@x.example")
    results = "/search/?q=refund&sort=created"
    response = agent_client.post(
        "/inbox/bulk/",
        {"t": [ticket.number, other.number], "action": "status", "value_status": "pending", "next": results},
    )
    assert response["Location"] == results
    ticket.refresh_from_db()
    other.refresh_from_db()
    assert ticket.status == other.status == "pending"


def test_viewers_see_results_without_bulk_actions(make_user, ticket):
    viewer = Client()
    viewer.force_login(make_user(Role.VIEWER))
    html = viewer.get("/search/", {"q": "refund"}).content.decode()
    assert f'id="row-{ticket.number}"' in html and 'id="bulk"' not in html


def test_admins_see_the_index_lag_in_the_footer(make_user, agent_client, ticket):
    from supportloop.search.models import SearchDocument

    admin = Client()
    admin.force_login(make_user(Role.ADMIN))
    assert 'id="search-lag"' not in agent_client.get("/search/", {"q": "refund"}).content.decode()
    html = admin.get("/search/", {"q": "refund"}).content.decode()
    assert 'id="search-lag"' in html and "not indexed" not in html
    other = ticket_create(subject="Another", body="text", requester_email="z@x.example")
    SearchDocument.objects.filter(kind="ticket", object_id=other.pk).delete()
    html = admin.get("/search/", {"q": "refund"}).content.decode()
    assert "1 changed object not indexed" in html
