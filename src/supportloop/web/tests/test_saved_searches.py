"""Searches saved as inbox views (issue 13): the search runs through the engine in the inbox, which then filters
and sorts its matches; a view shared with a team shows in its members' sidebars; only the owner removes it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from supportloop.accounts.choices import Role
from supportloop.accounts.models import Team
from supportloop.core.models import Event
from supportloop.tickets.services.tickets import ticket_create
from supportloop.web.models import SavedView

pytestmark = pytest.mark.django_db


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def row_numbers(html):
    return {int(n) for n in re.findall(r'<tr data-href="/t/(\d+)/"', html)}


@pytest.fixture
def people(make_user):
    anna, boris = make_user(Role.AGENT, username="anna"), make_user(Role.AGENT, username="boris")
    chen = make_user(Role.AGENT, username="chen")
    billing = Team.objects.create(name="Billing", slug="billing")
    billing.members.add(anna, boris)
    return anna, boris, chen, billing


def test_a_saved_search_runs_through_the_engine_in_the_inbox(people):
    anna, *_ = people
    # "exporting" is stemmed to meet "export"; the inbox's old q ("subject contains") would find neither
    csv = ticket_create(subject="Question", body="Exporting to CSV fails", requester_email="a@x.example")
    ticket_create(subject="Export", body="PDF only", requester_email="b@x.example")
    ticket_create(subject="Login", body="I cannot log in", requester_email="c@x.example")
    client = client_of(anna)
    response = client.post("/inbox/views/", {"name": "CSV exports", "q": "export csv"})
    view = SavedView.objects.get(user=anna)
    assert (view.q, view.query, view.team) == ("export csv", "", None)
    assert response["Location"] == "/?q=export+csv"
    assert Event.objects.filter(verb="saved_view.created", changes__q=[None, "export csv"]).exists()
    html = client.get(response["Location"]).content.decode()
    assert row_numbers(html) == {csv.number}
    assert 'aria-current="true">CSV exports' in html


def test_the_inbox_filters_and_sorts_the_matches(people):
    anna, *_ = people
    open_one = ticket_create(subject="Refund", body="refund please", requester_email="a@x.example")
    solved = ticket_create(subject="Refund", body="refund done", requester_email="b@x.example")
    from supportloop.tickets.services.tickets import ticket_update

    ticket_update(ticket=solved, actor=anna, status="solved")
    client = client_of(anna)
    assert row_numbers(client.get("/", {"q": "refund"}).content.decode()) == {open_one.number}  # "All open"
    assert row_numbers(client.get("/", {"q": "refund", "view": "solved"}).content.decode()) == {solved.number}
    # the query language's filters apply too
    assert row_numbers(client.get("/", {"q": "refund status:new"}).content.decode()) == {open_one.number}


def test_a_bad_saved_search_is_refused_and_a_bad_inbox_q_is_a_message(people):
    anna, *_ = people
    client = client_of(anna)
    client.post("/inbox/views/", {"name": "Broken", "q": "refund colour:red"})
    assert not SavedView.objects.exists()
    html = client.get("/", {"q": "refund colour:red"}, follow=True).content.decode()
    assert "colour:red" in html and row_numbers(html) == set()


def test_a_view_shared_with_a_team_shows_to_its_members_and_only_the_owner_removes_it(people):
    anna, boris, chen, billing = people
    ticket_create(subject="Invoice", body="invoice", requester_email="a@x.example")
    client_of(anna).post("/inbox/views/", {"name": "Invoices", "q": "invoice", "team": billing.pk})
    view = SavedView.objects.get()
    assert view.team == billing

    boris_html = client_of(boris).get("/").content.decode()
    assert "Invoices" in boris_html and "Billing, by" in boris_html
    assert f"/inbox/views/{view.pk}/delete/" not in boris_html  # no remove button for a member
    assert client_of(boris).post(f"/inbox/views/{view.pk}/delete/").status_code == 404
    assert "Invoices" not in client_of(chen).get("/").content.decode()  # not in the team

    anna_html = client_of(anna).get("/").content.decode()
    assert "shared with Billing" in anna_html and f"/inbox/views/{view.pk}/delete/" in anna_html
    client_of(anna).post(f"/inbox/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_sharing_needs_membership_and_views_come_once(people):
    anna, boris, chen, billing = people
    client_of(chen).post("/inbox/views/", {"name": "Sneaky", "q": "invoice", "team": billing.pk})
    assert not SavedView.objects.exists()  # chen is not in Billing
    client_of(anna).post("/inbox/views/", {"name": "Mine", "q": "invoice", "team": billing.pk})
    from supportloop.web.selectors import saved_views_visible

    # anna owns it and is a member: once, not twice
    assert [v.name for v in saved_views_visible(user=anna)] == ["Mine"]
    assert [v.name for v in saved_views_visible(user=boris)] == ["Mine"]


def test_save_as_view_from_the_results_page(people):
    anna, _boris, _chen, billing = people
    ticket_create(subject="Invoice", body="invoice", requester_email="a@x.example")
    html = client_of(anna).get("/search/", {"q": "invoice"}).content.decode()
    assert 'action="/inbox/views/"' in html and 'name="q" value="invoice"' in html
    assert f'<option value="{billing.pk}">Billing</option>' in html
