"""Bad input gets the right status and a problem naming the field; valid text in any script round-trips exactly."""

from __future__ import annotations

import json

import pytest
from conftest import assert_problem
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from supportloop.accounts.choices import Role
from supportloop.core.models import Event
from supportloop.customers.models import Company, CompanyDomain, Contact, ContactEmail, CustomerNote
from supportloop.tickets.models import Message, Ticket

SCRIPTS = {
    "chinese": "导出失败，请帮忙看看 你好",
    "russian": "Экспорт не работает — помогите",
    "emoji": "Export 🎉🔥 👩🏽‍💻 done 🇩🇪",
    "rtl": "مرحبا، التصدير لا يعمل שלום",
    "mixed": "a\tb\r\nc  \u200b\u00a0 trailing  ",
}


def counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (Ticket, Message, Contact, ContactEmail, Company, CompanyDomain, CustomerNote, Event)
    }


@pytest.fixture
def agent(api_client):
    return api_client(role=Role.AGENT)


def test_malformed_json_is_400_and_writes_nothing(agent):
    before = counts()
    for raw in ['{"subject": ', "{'a': 1}", '{"subject": "x",}']:
        body = assert_problem(agent._call("post", "tickets", raw=raw), 400)
        assert "JSON" in body["detail"]
    assert counts() == before


@pytest.mark.parametrize(
    "path,payload,field",
    [
        ("tickets", {"subject": 5, "body": "b", "requester_email": "a@b.example"}, "subject"),
        ("tickets", {"subject": "s", "body": "b", "requester_email": "a@b.example", "tags": "x"}, "tags"),
        ("tickets", {"subject": "s", "body": "b", "requester_email": "a@b.example", "priority": "asap"}, "priority"),
        ("contacts", {"emails": "a@b.example"}, "emails"),
        ("companies", {"name": "A", "mrr": "lots"}, "mrr"),
        ("companies", {"name": "A", "mrr": -1}, "mrr"),
        ("macros", {"name": "m", "body": "b", "actions": {"status": "gone"}}, "actions.status"),
    ],
)
def test_wrong_types_are_422_naming_the_field(api_client, path, payload, field):
    client = api_client(role=Role.ADMIN)
    before = counts()
    body = assert_problem(client.post(path, payload), 422, field=field)
    assert field in body["detail"]
    assert counts() == before


@pytest.mark.parametrize(
    "path,payload",
    [
        ("tickets", {"subject": "s", "body": "b", "requester_email": "a@b.example", "colour": "red"}),
        ("contacts", {"emails": ["a@b.example"], "colour": "red"}),
        ("companies", {"name": "A", "colour": "red"}),
        ("taxonomy/areas", {"name": "A", "colour": "red"}),
        ("macros", {"name": "m", "body": "b", "actions": {"colour": "red"}}),
        ("teams", {"name": "T", "slug": "t", "colour": "red"}),
        ("tokens", {"name": "t", "colour": "red"}),
    ],
)
def test_unknown_fields_are_refused_not_ignored(api_client, path, payload):
    client = api_client(role=Role.ADMIN)
    before = counts()
    body = assert_problem(client.post(path, payload), 422)
    assert "colour" in json.dumps(body["errors"]) and body["errors"][next(iter(body["errors"]))] == "unknown field"
    assert counts() == before


def test_oversized_body_is_413_before_it_is_read(agent, settings):
    settings.SUPPORTLOOP_MAX_REQUEST_BYTES = 2000
    before = counts()
    r = agent.post("tickets", {"subject": "big", "body": "x" * 3000, "requester_email": "a@b.example"})
    body = assert_problem(r, 413)
    assert "2000" in body["detail"]
    assert counts() == before
    assert (
        agent.post("tickets", {"subject": "ok", "body": "x" * 1000, "requester_email": "a@b.example"}).status_code
        == 201
    )


@pytest.mark.parametrize(
    "path,payload,field",
    [
        ("tickets", {"subject": "s", "body": "b", "requester_email": "not-an-email"}, "requester_email"),
        ("tickets", {"subject": "s", "body": "b", "requester_email": "a@b.example", "followers": ["x@"]}, "followers"),
        ("contacts", {"emails": ["ok@b.example", "a b@c.example"]}, "emails"),
        ("companies", {"name": "A", "domains": ["no domain"]}, "domains"),
        ("users", {"username": "u1", "email": "@nope"}, "email"),
    ],
)
def test_invalid_emails_and_domains_are_422(api_client, path, payload, field):
    client = api_client(role=Role.ADMIN)
    before = counts()
    assert_problem(client.post(path, payload), 422, field=field)
    assert counts() == before


def test_unknown_ids_are_404_in_the_url_and_422_in_the_body(api_client):
    client = api_client(role=Role.ADMIN)
    for path in (
        "tickets/999999",
        "contacts/999999",
        "companies/999999",
        "macros/999999",
        "users/999999",
        "tickets/999999/events",
        "contacts/999999/notes",
        "nowhere",
    ):
        assert_problem(client.get(path), 404)
    assert_problem(client.patch("teams/999999", {"name": "x"}), 404)
    before = counts()
    # A reply or note finds its ticket inside the write (the row is locked by number): still 404, nothing written.
    assert_problem(client.post("tickets/999999/replies", {"body": "hello"}), 404)
    assert_problem(client.post("tickets/999999/notes", {"body": "hello"}), 404)
    assert counts() == before
    assert_problem(
        client.post("tickets", {"subject": "s", "body": "b", "requester_email": "a@b.example", "team_id": 999999}),
        422,
        field="team_id",
    )
    assert_problem(
        client.post(
            "tickets",
            {"subject": "s", "body": "b", "requester_email": "a@b.example", "product_feature": "no-such-slug"},
        ),
        422,
        field="product_feature",
    )
    assert_problem(client.post("contacts", {"emails": ["z@b.example"], "company_id": 999999}), 422, field="company_id")
    assert_problem(client.post("teams", {"name": "T", "slug": "t", "member_ids": [999999]}), 422, field="member_ids")
    assert counts() == before


def test_duplicate_creates_are_409_and_change_nothing(api_client):
    client = api_client(role=Role.ADMIN)
    ticket = {"subject": "s", "body": "b", "requester_email": "a@b.example", "external_id": "crm-42"}
    assert client.post("tickets", ticket).status_code == 201
    assert client.post("contacts", {"emails": ["c@d.example"]}).status_code == 201
    assert client.post("companies", {"name": "D", "domains": ["d.example"]}).status_code == 201
    assert client.post("teams", {"name": "T", "slug": "t"}).status_code == 201
    assert client.post("macros", {"name": "M", "body": "b"}).status_code == 201
    assert client.post("taxonomy/reasons", {"name": "Bug", "slug": "bug"}).status_code == 201
    assert client.post("users", {"username": "sam"}).status_code == 201
    before = counts()
    assert_problem(client.post("tickets", ticket), 409, field="external_id")
    assert_problem(client.post("contacts", {"emails": ["C@D.example"]}), 409, field="emails")
    assert_problem(client.post("companies", {"name": "E", "domains": ["D.example"]}), 409, field="domains")
    assert_problem(client.post("teams", {"name": "T2", "slug": "t"}), 409, field="slug")
    assert_problem(client.post("macros", {"name": "M", "body": "c"}), 409, field="name")
    assert_problem(client.post("taxonomy/reasons", {"name": "Bug 2", "slug": "bug"}), 409, field="slug")
    assert_problem(client.post("users", {"username": "SAM"}), 409, field="username")
    assert counts() == before


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_text_in_any_script_round_trips_byte_for_byte(agent, script):
    text = SCRIPTS[script]
    r = agent.post(
        "tickets",
        {
            "subject": "s " + text.strip(),
            "body": text,
            "requester_email": "w@x.example",
            "requester_name": text.strip(),
        },
    )
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["messages"][0]["body_text"] == text
    assert data["subject"] == "s " + text.strip()
    stored = Message.objects.get()
    assert stored.body_text.encode("utf-8") == text.encode("utf-8")
    contact = agent.get(f"contacts/{data['requester_id']}").json()
    assert contact["name"] == text.strip()
    note = agent.post(f"contacts/{data['requester_id']}/notes", {"body": text}).json()
    assert note["body"] == text and CustomerNote.objects.get().body == text


@pytest.mark.parametrize(
    "path,payload,field",
    [
        ("tickets", {"subject": "a\x00b", "body": "b", "requester_email": "a@b.example"}, "subject"),
        ("tickets", {"subject": "s", "body": "b\x00", "requester_email": "a@b.example"}, "body"),
        ("tickets", {"subject": "s", "body": "b", "requester_email": "a@b.example", "tags": ["t\x00"]}, "tags"),
        ("contacts", {"name": "\x00", "emails": ["a@b.example"]}, "name"),
        ("contacts", {"emails": ["a@b.example"], "attributes": {"k": "v\x00"}}, "attributes"),
        ("companies", {"name": "A\x00"}, "name"),
        ("companies", {"name": "A", "attributes": {"k\x00": 1}}, "attributes"),
        ("macros", {"name": "m", "body": "\x00"}, "body"),
        ("taxonomy/areas", {"name": "\x00x"}, "name"),
    ],
)
def test_nul_bytes_are_422_and_nothing_is_half_written(api_client, path, payload, field):
    client = api_client(role=Role.ADMIN)
    before = counts()
    assert_problem(client.post(path, payload), 422, field=field)
    assert counts() == before


def test_a_failure_late_in_a_create_rolls_back_the_contact_made_early(agent):
    """The requester is created before the ticket; a bad tag afterwards must leave neither behind."""
    before = counts()
    r = agent.post(
        "tickets", {"subject": "s", "body": "b", "requester_email": "new@person.example", "tags": ["x" * 61]}
    )
    assert_problem(r, 422, field="tags")
    assert counts() == before


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=300
).filter(lambda s: s.strip())


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT)
def test_any_text_round_trips_through_the_api(api_client, text):
    client = api_client(role=Role.AGENT)
    r = client.post("tickets", {"subject": "round trip", "body": text, "requester_email": "rt@x.example"})
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    r = client.post(f"tickets/{number}/notes", {"body": text})
    assert r.status_code == 201
    detail = client.get(f"tickets/{number}").json()
    assert [m["body_text"] for m in detail["messages"]] == [text, text]
    assert Message.objects.filter(ticket__number=number, body_text=text).count() == 2


def test_a_unique_violation_that_slips_past_the_checks_is_409_not_500(api_client, monkeypatch):
    """Two requests can pass the duplicate check together; the database refuses the second one."""
    from supportloop.customers import services

    client = api_client(role=Role.AGENT)
    assert client.post("contacts", {"emails": ["dup@x.example"]}).status_code == 201
    monkeypatch.setattr(services.ContactEmail.objects, "filter", lambda *a, **k: services.ContactEmail.objects.none())
    before = counts()
    assert_problem(client.post("contacts", {"emails": ["dup@x.example"]}), 409)
    assert counts() == before


def test_dates_with_offsets_postgresql_cannot_store_are_folded_into_utc(api_client):
    client = api_client(role=Role.AGENT)
    assert client.post("contacts", {"emails": ["a@b.example"]}).status_code == 201
    for path in ("contacts", "companies", "tickets"):
        r = client.get(path, {"updated_since": "2001-01-30T07:23:48-19:30"})
        assert r.status_code == 200, r.content
    assert len(client.get("contacts", {"updated_since": "2001-01-30T07:23:48-19:30"}).json()["items"]) == 1
    assert_problem(client.get("contacts", {"updated_since": "0001-01-01T00:00:00+05:00"}), 422, field="updated_since")
