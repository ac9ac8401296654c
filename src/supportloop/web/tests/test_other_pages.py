"""Customer pages, settings, the account page and the interface language."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from supportloop.accounts.models import ApiToken, Team, User
from supportloop.accounts.services import hash_token
from supportloop.customers.models import CustomerNote
from supportloop.tickets.models import ContactReason, Macro, ProductArea

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("n", [2, 30])
def test_company_and_contact_pages_have_bounded_queries(ws, client_for, django_assert_max_num_queries, n):
    from supportloop.customers.services import contact_create, customer_note_add
    from supportloop.feedback.services import evidence_add, feedback_item_create

    made = ws.tickets_make(n)
    for i in range(n):
        contact_create(name=f"Person {i}", emails=[f"p{i}@acme.example"])
        customer_note_add(body=f"note {i}", author=ws.agent, company=ws.acme)
    item = feedback_item_create(kind="feature_request", title="Dark mode", actor=ws.pm)
    for t in made[:5]:
        evidence_add(item=item, actor=ws.agent, ticket=t, quote=f"q{t.number}")
    client = client_for(ws.agent)
    with django_assert_max_num_queries(12):
        company = client.get(f"/customers/companies/{ws.acme.pk}/")
    with django_assert_max_num_queries(12):
        contact = client.get(f"/customers/contacts/{ws.alice.pk}/")
    with django_assert_max_num_queries(10):
        listing = client.get("/customers/", {"q": "acme"})
    alice_tickets = len([t for t in made if t.requester_id == ws.alice.pk])
    assert contact.content.decode().count("/t/") >= min(alice_tickets, 25)
    assert "Dark mode" in company.content.decode() and "Dark mode" in contact.content.decode()
    assert f"Person {n - 1}" in company.content.decode()
    assert "Acme" in listing.content.decode() and "Globex" not in listing.content.decode()


def test_a_note_on_a_company_is_added_through_the_service(ws, client_for):
    client_for(ws.agent).post(f"/customers/company/{ws.acme.pk}/notes/", {"body": "Renewal in March"})
    note = CustomerNote.objects.get()
    assert (note.company_id, note.author_id, note.body) == (ws.acme.pk, ws.agent.pk, "Renewal in March")
    assert client_for(ws.agent).post(f"/customers/bogus/{ws.acme.pk}/notes/", {"body": "x"}).status_code == 404


def test_settings_pages_are_for_admins_and_leads(ws, client_for, make_user):
    viewer = make_user("viewer")
    for url in ("/settings/users/", "/settings/teams/"):
        assert client_for(ws.agent).get(url).status_code == 403
        assert client_for(viewer).get(url).status_code == 403
        assert client_for(ws.admin).get(url).status_code == 200


def test_admin_creates_a_user_and_changes_a_role(ws, client_for):
    client = client_for(ws.admin)
    client.post(
        "/settings/users/",
        {"username": "newbie", "email": "n@staff.example", "role": "agent", "password": "a-long-password-1"},
    )
    newbie = User.objects.get(username="newbie")
    assert newbie.role == "agent" and newbie.check_password("a-long-password-1")
    taken = client.post("/settings/users/", {"username": "newbie", "role": "agent", "password": "a-long-password-1"})
    assert 'id="id_username_error"' in taken.content.decode()
    client.post(f"/settings/users/{newbie.pk}/", {"role": "lead", "is_active": "on"})
    newbie.refresh_from_db()
    assert newbie.role == "lead"
    client.post(f"/settings/users/{ws.admin.pk}/", {"role": "agent"})
    ws.admin.refresh_from_db()
    assert ws.admin.role == "admin" and ws.admin.is_active


def test_teams_macros_and_taxonomy_are_managed_through_services(ws, client_for):
    client = client_for(ws.admin)
    client.post("/settings/teams/", {"name": "Tier 2", "members": [ws.agent.pk]})
    assert list(Team.objects.get(slug="tier-2").members.all()) == [ws.agent]
    client.post(
        "/settings/macros/",
        {
            "name": "Thanks",
            "body": "Thanks {{ contact.first_name }}",
            "status": "solved",
            "add_tags": "thanked",
            "is_active": "on",
        },
    )
    assert Macro.objects.get(name="Thanks").actions == {"status": "solved", "add_tags": ["thanked"]}
    bad = client.post("/settings/macros/", {"name": "Bad", "body": "Hi {{ contact.shoe_size }}", "is_active": "on"})
    assert 'id="id_body_error"' in bad.content.decode() and not Macro.objects.filter(name="Bad").exists()
    client.post("/settings/taxonomy/", {"kind": "area", "area-name": "Mobile"})
    client.post("/settings/taxonomy/", {"kind": "reason", "reason-name": "Other", "reason-is_catch_all": "on"})
    client.post("/settings/taxonomy/", {"kind": "toggle", "model": "area", "pk": ws.area.pk})
    assert ProductArea.objects.filter(name="Mobile").exists() and ContactReason.objects.get(name="Other").is_catch_all
    ws.area.refresh_from_db()
    assert ws.area.is_active is False
    assert client_for(ws.agent).post("/settings/taxonomy/", {"kind": "area", "area-name": "X"}).status_code == 302
    assert not ProductArea.objects.filter(name="X").exists()


def test_an_api_token_secret_is_shown_once_and_works(ws, client_for):
    client = client_for(ws.agent)
    html = client.post("/settings/tokens/", {"name": "laptop"}).content.decode()
    secret = re.search(r"data-token-secret>([^<]+)<", html).group(1)
    token = ApiToken.objects.get(user=ws.agent)
    assert token.key_hash == hash_token(secret)
    assert secret not in client.get("/settings/tokens/").content.decode()
    client.post(f"/settings/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_password_change_keeps_the_session_and_requires_the_old_password(ws, client_for):
    client = client_for(ws.agent)
    wrong = client.post(
        "/account/password/",
        {"old_password": "nope", "new_password1": "Another-pass-99", "new_password2": "Another-pass-99"},
    )
    assert 'id="id_old_password_error"' in wrong.content.decode()
    client.post(
        "/account/password/",
        {"old_password": "pw-123456-x", "new_password1": "Another-pass-99", "new_password2": "Another-pass-99"},
    )
    ws.agent.refresh_from_db()
    assert ws.agent.check_password("Another-pass-99")
    assert client.get("/").status_code == 200


def test_the_interface_follows_the_profile_language_then_the_browser(ws, client_for):
    client = client_for(ws.agent)
    client.post("/account/", {"language": "zh-hans", "first_name": "Alex", "last_name": "Agent", "signature": ""})
    ws.agent.refresh_from_db()
    assert ws.agent.language == "zh-hans"
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html and "收件箱" in html and "Inbox</a>" not in html
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="ru")
    assert "Войти" in anonymous.get("/login/").content.decode()
    pm = client_for(ws.pm)
    assert "Inbox" in pm.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_viewer_creates_a_read_only_api_token_on_the_tokens_page(make_user, client_for):
    from supportloop.accounts.models import ApiToken

    viewer = make_user("viewer")
    client = client_for(viewer)
    assert client.get("/settings/tokens/").status_code == 200
    response = client.post("/settings/tokens/", {"name": "wallboard", "read_only": ""})
    assert "data-token-secret" in response.content.decode()
    assert list(ApiToken.objects.filter(user=viewer).values_list("name", "read_only")) == [("wallboard", True)]
