"""Undo send takes the first response back from the reports too: the withdrawal is a ticket event the analytics
listener follows."""

from __future__ import annotations

import pytest

from supportloop.accounts.choices import Role
from supportloop.analytics.models import TicketFact
from supportloop.tickets.services import ticket_compose
from supportloop.tickets.services.collab import reply_withdraw

pytestmark = pytest.mark.django_db


def test_a_withdrawn_first_reply_is_no_longer_the_first_response(committed, make_ticket, make_user):
    agent = make_user(Role.AGENT)
    ticket = committed(make_ticket)
    message = committed(ticket_compose, ticket=ticket, actor=agent, kind="reply", body="Refund sent.", hold_seconds=10)
    assert TicketFact.objects.get(ticket=ticket).first_response_seconds is not None

    committed(reply_withdraw, message=message, actor=agent)

    fact = TicketFact.objects.get(ticket=ticket)
    assert (fact.first_response_at, fact.first_response_seconds) == (None, None)
