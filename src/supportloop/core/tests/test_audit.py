"""Every service writes exactly one audit event, in its own transaction; the trail is append-only."""

from __future__ import annotations

import pytest

from supportloop.accounts import services as accounts
from supportloop.core.models import AppendOnlyError, Event, EventQuerySet
from supportloop.customers import services as customers
from supportloop.tickets import services as tickets
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services.tickets import IncomingFile


@pytest.fixture
def world(db):
    admin = accounts.user_create(username="root", role="admin")
    company = customers.company_create(name="Acme", domains=["acme.example"], actor=admin)
    contact = customers.contact_create(emails=["li@acme.example"], actor=admin)
    area = tickets.product_area_create(name="Billing", actor=admin)
    feature = tickets.product_feature_create(area=area, name="Invoices", actor=admin)
    reason = tickets.contact_reason_create(name="Question", actor=admin)
    macro = tickets.macro_create(name="M", body="Hi", actor=admin)
    team = accounts.team_create(name="T", slug="t", actor=admin)
    ticket = tickets.ticket_create(subject="s", body="b", requester=contact, actor=admin)
    token, _raw = accounts.api_token_create(user=admin, name="x")
    bounced = customers.address_bounce_record(email="gone@acme.example", permanent=True, status="5.1.1")
    return locals()


CASES = {
    "user.created": lambda w: accounts.user_create(username="new", actor=w["admin"]),
    "user.updated": lambda w: accounts.user_update(user=w["admin"], actor=w["admin"], first_name="R"),
    "team.created": lambda w: accounts.team_create(name="U", slug="u", actor=w["admin"]),
    "team.updated": lambda w: accounts.team_update(team=w["team"], actor=w["admin"], name="V"),
    "api_token.created": lambda w: accounts.api_token_create(user=w["admin"], name="y"),
    "api_token.revoked": lambda w: accounts.api_token_revoke(token=w["token"], actor=w["admin"]),
    "company.created": lambda w: customers.company_create(name="B", actor=w["admin"]),
    "company.updated": lambda w: customers.company_update(company=w["company"], name="C", actor=w["admin"]),
    "contact.created": lambda w: customers.contact_create(emails=["z@z.example"], actor=w["admin"]),
    "contact.updated": lambda w: customers.contact_update(contact=w["contact"], name="Z", actor=w["admin"]),
    "customer_note.added": lambda w: customers.customer_note_add(body="n", author=w["admin"], contact=w["contact"]),
    "taxonomy.area_created": lambda w: tickets.product_area_create(name="X", actor=w["admin"]),
    "taxonomy.area_updated": lambda w: tickets.product_area_update(area=w["area"], name="Y", actor=w["admin"]),
    "taxonomy.feature_created": lambda w: tickets.product_feature_create(area=w["area"], name="F", actor=w["admin"]),
    "taxonomy.feature_updated": lambda w: tickets.product_feature_update(
        feature=w["feature"], name="G", actor=w["admin"]
    ),
    "taxonomy.reason_created": lambda w: tickets.contact_reason_create(name="R", actor=w["admin"]),
    "taxonomy.reason_updated": lambda w: tickets.contact_reason_update(reason=w["reason"], name="S", actor=w["admin"]),
    "macro.created": lambda w: tickets.macro_create(name="N", body="b", actor=w["admin"]),
    "macro.updated": lambda w: tickets.macro_update(macro=w["macro"], body="c", actor=w["admin"]),
    "ticket.created": lambda w: tickets.ticket_create(subject="s", body="b", requester=w["contact"], actor=w["admin"]),
    "ticket.updated": lambda w: tickets.ticket_update(ticket=w["ticket"], actor=w["admin"], priority="high"),
    "ticket.replied": lambda w: tickets.ticket_reply(ticket=w["ticket"], actor=w["admin"], body="r"),
    "ticket.noted": lambda w: tickets.ticket_add_note(ticket=w["ticket"], actor=w["admin"], body="n"),
    "ticket.customer_replied": lambda w: tickets.message_add_from_contact(
        ticket=w["ticket"], contact=w["contact"], body="c"
    ),
    "address.bounced": lambda w: customers.address_bounce_record(
        email="li@acme.example", permanent=True, status="5.1.1"
    ),
    "address.suppression_lifted": lambda w: customers.address_suppression_lift(bounced=w["bounced"], actor=w["admin"]),
    "ticket.system_noted": lambda w: tickets.ticket_add_system_note(ticket=w["ticket"], body="Delivery failed"),
    "attachment.added": lambda w: tickets.attachment_add(
        message=w["ticket"].messages.get(), actor=w["admin"], files=[IncomingFile("a.txt", b"a")]
    ),
}


@pytest.mark.parametrize("verb", sorted(CASES))
def test_each_service_writes_exactly_one_event(world, verb):
    last = Event.objects.order_by("-id").values_list("id", flat=True).first()
    CASES[verb](world)
    assert list(Event.objects.filter(id__gt=last).values_list("verb", flat=True)) == [verb]


def test_macro_apply_records_its_parts_and_itself(world):
    last = Event.objects.order_by("-id").values_list("id", flat=True).first()
    tickets.macro_apply(macro=world["macro"], ticket=world["ticket"], actor=world["admin"])
    assert list(Event.objects.filter(id__gt=last).order_by("id").values_list("verb", flat=True)) == [
        "ticket.replied",
        "macro.applied",
    ]


@pytest.mark.parametrize(
    "verb", ["ticket.created", "ticket.replied", "ticket.customer_replied", "company.updated", "contact.created"]
)
def test_the_event_shares_the_transaction_of_the_change(world, verb, monkeypatch):
    """If the event cannot be written, the change it describes is not written either."""
    before = (
        Ticket.objects.count(),
        Message.objects.count(),
        Event.objects.count(),
        list(Ticket.objects.values_list("priority", "status", "message_count", "change_seq")),
    )

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(Event, "save", broken_save)
    monkeypatch.setattr(EventQuerySet, "bulk_create", broken_save)  # services that write events in bulk
    with pytest.raises(RuntimeError):
        CASES[verb](world)
    monkeypatch.undo()
    world["company"].refresh_from_db()
    assert world["company"].name == "Acme"
    assert (
        Ticket.objects.count(),
        Message.objects.count(),
        Event.objects.count(),
        list(Ticket.objects.values_list("priority", "status", "message_count", "change_seq")),
    ) == before


def test_events_are_append_only(world):
    event = Event.objects.first()
    event.verb = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.all().delete()
    assert not Event.objects.filter(verb="rewritten").exists()
