"""In-app notifications: the cached unread count (cold one query, warm none, a new notification or a read bumps it
after commit), marking one or all read with their audit events, and the API that shows a user only their own."""

from __future__ import annotations

import pytest
from conftest import assert_problem
from django.core.cache import cache
from django.db import transaction

from supportloop.automation.models import Notification
from supportloop.automation.selectors.notifications import notifications_latest
from supportloop.automation.services.notifications import (
    notification_mark_read,
    notifications_mark_all_read,
    unread_count,
)
from supportloop.automation.trigger_actions import notify
from supportloop.core.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _notify(ticket, *users, capture, text: str = "") -> None:
    with capture(execute=True), transaction.atomic():
        notify(ticket, {"user_ids": [u.pk for u in users], "text": text}, source="Rule: big ticket")


def test_the_count_is_one_query_cold_none_warm_and_follows_new_and_read_notifications(
    make_user, make_ticket, django_capture_on_commit_callbacks, django_assert_num_queries
):
    agent, other = make_user("agent"), make_user("agent")
    ticket = make_ticket("Printer on fire")
    with django_assert_num_queries(1):
        assert unread_count(user_id=agent.pk) == 0
    with django_assert_num_queries(0):
        assert unread_count(user_id=agent.pk) == 0
    _notify(ticket, agent, capture=django_capture_on_commit_callbacks)
    with django_assert_num_queries(1):  # the notify bumped the version: cold again
        assert unread_count(user_id=agent.pk) == 1
    with django_assert_num_queries(0):
        assert unread_count(user_id=agent.pk) == 1
    assert unread_count(user_id=other.pk) == 0  # nothing for the other user
    _notify(ticket, agent, capture=django_capture_on_commit_callbacks)
    assert unread_count(user_id=agent.pk) == 2
    first = Notification.objects.filter(user=agent).order_by("id").first()
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_mark_read(notification=first, actor=agent) is True
    assert unread_count(user_id=agent.pk) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_mark_all_read(user=agent) == 1
    assert unread_count(user_id=agent.pk) == 0


def test_no_bump_before_commit(make_user, make_ticket, django_capture_on_commit_callbacks):
    agent = make_user("agent")
    ticket = make_ticket("Slow")
    assert unread_count(user_id=agent.pk) == 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        notify(ticket, {"user_ids": [agent.pk]}, source="x")
    assert unread_count(user_id=agent.pk) == 0  # still the cached count: the version moves only after commit
    for callback in callbacks:
        callback()
    assert unread_count(user_id=agent.pk) == 1


def test_marking_read_writes_one_event_each_and_all_read_one_event_with_the_count(
    make_user, make_ticket, django_capture_on_commit_callbacks
):
    agent = make_user("agent")
    ticket = make_ticket("Invoices")
    for _ in range(3):
        _notify(ticket, agent, capture=django_capture_on_commit_callbacks)
    one = Notification.objects.filter(user=agent).first()
    assert notification_mark_read(notification=one, actor=agent) is True
    assert notification_mark_read(notification=one, actor=agent) is False  # already read: no second event
    assert Event.objects.filter(verb="notification.read", target_id=str(one.pk)).count() == 1
    assert notifications_mark_all_read(user=agent) == 2
    event = Event.objects.get(verb="notification.read_all")
    assert event.changes == {"read": [0, 2]} and event.actor == agent
    assert notifications_mark_all_read(user=agent) == 0
    assert Event.objects.filter(verb="notification.read_all").count() == 1
    assert not Notification.objects.filter(user=agent, read_at__isnull=True).exists()


def test_latest_reads_tickets_in_one_query(
    make_user, make_ticket, django_capture_on_commit_callbacks, django_assert_num_queries
):
    agent = make_user("agent")
    for i in range(4):
        _notify(make_ticket(f"Subject {i}"), agent, capture=django_capture_on_commit_callbacks)
    with django_assert_num_queries(1):
        rows = notifications_latest(user_id=agent.pk, limit=3)
        assert [n.ticket.subject for n in rows] == ["Subject 3", "Subject 2", "Subject 1"]
        assert all(n.ticket.number for n in rows)


def test_the_api_lists_and_marks_only_the_callers_own(
    api_client, make_user, make_ticket, django_capture_on_commit_callbacks
):
    me = api_client(role="agent")
    other = make_user("lead")
    ticket = make_ticket("Broken export")
    for _ in range(3):
        _notify(ticket, me.user, capture=django_capture_on_commit_callbacks, text="Look at #{{ ticket.number }}")
    _notify(ticket, other, capture=django_capture_on_commit_callbacks)
    theirs = Notification.objects.get(user=other)

    page = me.get("notifications", {"limit": 2})
    assert page.status_code == 200, page.content
    body = page.json()
    assert len(body["items"]) == 2 and body["next_cursor"] and body["unread_count"] == 3
    assert body["items"][0]["ticket_number"] == ticket.number and body["items"][0]["ticket_subject"] == "Broken export"
    assert body["items"][0]["text"] == f"Look at #{ticket.number}"
    rest = me.get("notifications", {"limit": 2, "cursor": body["next_cursor"]}).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    ids = [n["id"] for n in body["items"] + rest["items"]]
    assert theirs.pk not in ids and ids == sorted(ids, reverse=True)

    assert_problem(me.post(f"notifications/{theirs.pk}/read", {}), 404)
    assert_problem(me.post("notifications/999999/read", {}), 404)
    theirs.refresh_from_db()
    assert theirs.read_at is None

    with django_capture_on_commit_callbacks(execute=True):
        read = me.post(f"notifications/{ids[0]}/read", {})
    assert read.status_code == 200 and read.json()["read_at"]
    unread = me.get("notifications", {"unread": "true"}).json()
    assert [n["id"] for n in unread["items"]] == ids[1:] and unread["unread_count"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert me.post("notifications/read-all", {}).json() == {"marked": 2}
    assert me.get("notifications", {"unread": "true"}).json()["items"] == []
    theirs.refresh_from_db()
    assert theirs.read_at is None  # read-all touched only the caller's
    assert_problem(me.get("notifications", {"cursor": "nope"}), 422, field="cursor")


def test_a_viewer_is_refused(api_client):
    viewer = api_client(role="viewer")
    assert_problem(viewer.get("notifications"), 403)
