from collections import Counter as Tally

import pytest
from django.db.models import Count

from supportloop.accounts.services import team_create, user_create
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.customers.services import contact_create
from supportloop.tickets.models import Macro, MacroApplication, Message, Ticket
from supportloop.tickets.selectors import ticket_status_counts
from supportloop.tickets.services import (
    contact_reason_create,
    macro_apply,
    macro_create,
    macro_render,
    message_add_from_contact,
    product_area_create,
    product_feature_create,
    product_feature_update,
    ticket_add_note,
    ticket_create,
    ticket_reply,
    ticket_update,
)


@pytest.fixture
def agent(db):
    from supportloop.accounts.services import user_update

    return user_update(
        user=user_create(username="ana", role="agent", first_name="Ana"), actor=None, signature="— Ana, Support"
    )


def new(agent, **kw):
    return ticket_create(
        **{
            "subject": "s",
            "body": "b",
            "requester_email": "li.wei@acme.example",
            "requester_name": "Li Wei",
            "actor": agent,
            **kw,
        }
    )


def actual_counts() -> dict[str, int]:
    return dict(Ticket.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def test_numbers_are_sequential_without_gaps_from_failed_creates(agent):
    first = new(agent)
    with pytest.raises(ValidationFailed):
        new(agent, subject="")
    second, third = new(agent), new(agent)
    assert [first.number, second.number, third.number] == [first.number, first.number + 1, first.number + 2]


def test_status_rollup_stays_exact_through_every_kind_of_change(agent):
    tickets = [new(agent) for _ in range(5)]
    ticket_update(ticket=tickets[0], actor=agent, status="pending")
    ticket_update(ticket=tickets[1], actor=agent, status="solved")
    ticket_update(ticket=tickets[1], actor=agent, status="solved")  # no change, no double count
    ticket_reply(ticket=tickets[2], actor=agent, body="hi")  # new -> open
    ticket_reply(ticket=tickets[3], actor=agent, body="done", status="solved")
    message_add_from_contact(ticket=tickets[3], contact=tickets[3].requester, body="still broken")  # solved -> open
    ticket_update(ticket=tickets[4], actor=agent, status="closed")
    expected = {"new": 0, "open": 2, "pending": 1, "on_hold": 0, "solved": 1, "closed": 1}
    # by hand: t0 pending, t1 solved, t2 open, t3 open (reopened), t4 closed
    assert ticket_status_counts() == expected
    assert {k: v for k, v in expected.items() if v} == actual_counts()


def test_first_response_is_the_first_public_reply_only(agent):
    ticket = new(agent)
    ticket_add_note(ticket=ticket, actor=agent, body="internal")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.public_reply_count == 0 and ticket.message_count == 2
    first = ticket_reply(ticket=ticket, actor=agent, body="one")
    ticket_reply(ticket=ticket, actor=agent, body="two")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first.created_at
    assert (ticket.public_reply_count, ticket.message_count) == (2, 4)


@pytest.mark.parametrize(
    "status,reopens", [("pending", True), ("solved", True), ("on_hold", True), ("open", False), ("closed", False)]
)
def test_a_customer_reply_reopens_waiting_and_solved_tickets(agent, status, reopens):
    ticket = new(agent)
    ticket_update(ticket=ticket, actor=agent, status=status)
    message_add_from_contact(ticket=ticket, contact=ticket.requester, body="hello again")
    ticket.refresh_from_db()
    assert ticket.status == ("open" if reopens else status)
    if reopens:
        assert ticket.solved_at is None


def test_macro_fills_placeholders_runs_actions_and_counts_each_use(agent):
    team = team_create(name="Billing", slug="billing")
    macro = macro_create(
        name="Refund",
        body="Hi {{ contact.first_name }}, about #{{ ticket.number }} ({{company.name}}): done.\n{{ agent.signature }}",
        actions={"status": "pending", "priority": "high", "add_tags": ["Refund"], "team": "billing"},
    )
    ticket = new(agent, tags=["vip"])
    assert (
        macro_render(macro=macro, ticket=ticket, actor=agent)
        == f"Hi Li, about #{ticket.number} (): done.\n— Ana, Support"
    )
    message = macro_apply(macro=macro, ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    assert message.body_text.startswith("Hi Li, about #") and message.kind == "reply"
    assert (ticket.status, ticket.priority, ticket.team) == ("pending", "high", team)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip"]
    macro_apply(macro=macro, ticket=ticket, actor=agent, send=False)
    assert Macro.objects.get().usage_count == 2
    assert MacroApplication.objects.filter(macro=macro, ticket=ticket).count() == 2
    assert Message.objects.filter(ticket=ticket).count() == 2  # the second use sent nothing


def test_macro_definitions_are_checked(agent):
    with pytest.raises(ValidationFailed):
        macro_create(name="x", body="{{ contact.password }}")
    with pytest.raises(ValidationFailed):
        macro_create(name="x", body="b", actions={"team": "nope"})
    with pytest.raises(ValidationFailed):
        macro_create(name="x", body="b", actions={"delete": True})
    macro_create(name="x", body="b")
    with pytest.raises(Conflict):
        macro_create(name="x", body="c")
    inactive = macro_create(name="y", body="b")
    inactive.is_active = False
    inactive.save()
    with pytest.raises(ValidationFailed):
        macro_apply(macro=inactive, ticket=new(agent), actor=agent)


def test_taxonomy_one_feature_one_reason_and_the_area_follows_the_feature(agent):
    billing, account = product_area_create(name="Billing"), product_area_create(name="Account")
    invoices = product_feature_create(area=billing, name="Invoices")
    login = product_feature_create(area=account, name="Login")
    reason = contact_reason_create(name="Bug report")
    ticket = new(agent, product_feature=invoices, contact_reason=reason)
    assert (ticket.product_area, ticket.product_feature, ticket.contact_reason) == (billing, invoices, reason)
    ticket = ticket_update(ticket=ticket, actor=agent, product_feature=login)
    assert (ticket.product_area, ticket.product_feature) == (account, login)  # replaced, never two
    ticket = ticket_update(ticket=ticket, actor=agent, product_feature=None, contact_reason=None)
    assert (ticket.product_area, ticket.product_feature, ticket.contact_reason) == (None, None, None)
    ticket = ticket_update(ticket=ticket, actor=agent, product_feature=invoices)
    product_feature_update(feature=invoices, area=account)
    ticket.refresh_from_db()
    assert ticket.product_area == account
    retired = product_feature_create(area=billing, name="Old")
    product_feature_update(feature=retired, is_active=False)
    with pytest.raises(ValidationFailed):
        ticket_update(ticket=ticket, actor=agent, product_feature=retired)


def test_requester_and_company_come_from_the_email(agent):
    from supportloop.customers.services import company_create

    acme = company_create(name="Acme", domains=["acme.example"])
    ticket = new(agent)
    assert ticket.requester.emails.get().email == "li.wei@acme.example" and ticket.company == acme
    existing = contact_create(emails=["x@y.example"], name="X")
    assert new(agent, requester_email="X@Y.example").requester == existing
    assert Tally(Ticket.objects.values_list("requester_id", flat=True)) == {ticket.requester_id: 1, existing.pk: 1}
