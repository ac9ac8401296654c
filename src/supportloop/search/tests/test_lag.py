"""The index lag figure: zero while the services index as they write, visible as soon as an index row goes missing
behind their back, in /health/ready (details for staff) and back to zero after search_rebuild."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.search.models import SearchDocument
from supportloop.search.selectors import index_lag
from supportloop.tickets.models import Ticket
from supportloop.tickets.services.tickets import ticket_create, ticket_update

pytestmark = pytest.mark.django_db


def lag_of(kind):
    return next(f for f in index_lag() if f.kind == kind)


def test_the_services_leave_no_lag(make_user):
    agent = make_user(Role.AGENT)
    first = ticket_create(subject="Invoice", body="Where is my invoice?", requester_email="a@x.example")
    ticket_create(subject="Refund", body="Refund please", requester_email="b@x.example")
    ticket_update(ticket=first, actor=agent, status="pending")
    for figure in index_lag():
        assert figure.current, figure
    assert lag_of("ticket").newest_indexed == Ticket.objects.order_by("-updated_at")[0].updated_at


def test_an_index_row_deleted_behind_the_services_shows_as_lag_and_unindexed():
    older = ticket_create(subject="Invoice", body="Where is my invoice?", requester_email="a@x.example")
    Ticket.objects.filter(pk=older.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    SearchDocument.objects.filter(kind="ticket", object_id=older.pk).update(
        sort_at=timezone.now() - timedelta(minutes=5)
    )
    newest = ticket_create(subject="Refund", body="Refund please", requester_email="b@x.example")
    SearchDocument.objects.filter(kind="ticket", object_id=newest.pk).delete()  # no service involved

    figure = lag_of("ticket")
    # the newest change is `newest`'s; the newest the index holds is `older`'s, five minutes before
    assert 299 <= figure.lag_seconds <= 301
    assert figure.unindexed == 1
    assert not figure.current
    assert lag_of("contact").current  # other kinds are not affected


def test_a_row_older_than_its_object_counts_as_unindexed():
    ticket = ticket_create(subject="Invoice", body="Where is my invoice?", requester_email="a@x.example")
    # the object changed after its index row was written, by a write that bypassed the services
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() + timedelta(seconds=3))
    figure = lag_of("ticket")
    assert figure.unindexed == 1 and 2.9 <= figure.lag_seconds <= 3.1


def test_no_index_at_all_is_an_unknown_lag():
    ticket_create(subject="Invoice", body="Where is my invoice?", requester_email="a@x.example")
    SearchDocument.objects.filter(kind="ticket").delete()
    assert lag_of("ticket").lag_seconds is None


def test_health_fails_on_a_missing_index_row_and_recovers_after_rebuild(make_user):
    ticket = ticket_create(subject="Refund", body="Refund please", requester_email="b@x.example")
    assert Client().get("/health/ready").json()["checks"]["search_index"] == "ok"
    SearchDocument.objects.filter(kind="ticket", object_id=ticket.pk).delete()

    anonymous = Client().get("/health/ready")
    assert anonymous.status_code == 503 and anonymous.json()["failed"] == ["search_index"]
    assert "details" not in anonymous.json()
    staff = Client()
    staff.force_login(make_user(Role.ADMIN))
    details = staff.get("/health/ready").json()["details"]["search_index"]
    assert details["ticket"]["unindexed_last_hour"] == 1 and details["contact"]["unindexed_last_hour"] == 0

    call_command("search_rebuild", stdout=io.StringIO())
    assert Client().get("/health/ready").status_code == 200


def test_the_settings_page_shows_the_lag_to_admins_only(make_user):
    ticket = ticket_create(subject="Refund", body="Refund please", requester_email="b@x.example")
    admin, agent = Client(), Client()
    admin.force_login(make_user(Role.ADMIN))
    agent.force_login(make_user(Role.AGENT))
    assert 'id="index-lag"' not in agent.get("/settings/").content.decode()
    body = admin.get("/settings/").content.decode()
    assert 'id="index-lag"' in body
    assert "not indexed" not in body[body.index("<tbody>") :]
    SearchDocument.objects.filter(kind="ticket", object_id=ticket.pk).delete()
    html = admin.get("/settings/").content.decode()
    ticket_row = html[html.index("<tbody>") :]
    ticket_row = ticket_row[: ticket_row.index("</tr>")]
    assert "not indexed" in ticket_row  # the only ticket lost its row: nothing of that kind is indexed
    assert "<td>1</td>" in ticket_row
