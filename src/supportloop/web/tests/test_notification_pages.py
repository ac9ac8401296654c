"""The header's "Notifications (N)" link and the /notifications/ page: the count appears and disappears, the page
lists the user's own notifications newest first with their tickets, marks one (htmx) or all read, and refuses
viewers; the link costs no query once the count is cached."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from supportloop.accounts.choices import Role
from supportloop.automation.models import Notification
from supportloop.automation.trigger_actions import notify
from supportloop.core.models import Event

pytestmark = pytest.mark.django_db


def _notify(ticket, user, capture) -> None:
    with capture(execute=True), transaction.atomic():
        notify(ticket, {"user_ids": [user.pk]}, source="Rule: unassigned")


def _link(html: str) -> str:
    found = re.search(r"<a [^>]*data-notifications-link[^>]*>(.*?)</a>", html, re.S)
    assert found, "no notifications link in the header"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_the_header_count_appears_and_disappears(ws, client_for, django_capture_on_commit_callbacks):
    (ticket,) = ws.tickets_make(1)
    client = client_for(ws.agent)
    assert _link(client.get("/").content.decode()) == "Notifications"
    _notify(ticket, ws.agent, django_capture_on_commit_callbacks)
    _notify(ticket, ws.agent, django_capture_on_commit_callbacks)
    assert _link(client.get("/").content.decode()) == "Notifications (2)"
    assert _link(client_for(ws.admin).get("/").content.decode()) == "Notifications"  # the admin has none
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/notifications/read-all/")
    assert response.status_code == 302
    assert _link(client.get("/").content.decode()) == "Notifications"
    assert Event.objects.filter(verb="notification.read_all", actor=ws.agent).count() == 1


def test_the_page_lists_own_notifications_newest_first_and_marks_one_read(
    ws, client_for, make_user, django_capture_on_commit_callbacks
):
    older, newer = ws.tickets_make(2)
    _notify(older, ws.agent, django_capture_on_commit_callbacks)
    _notify(newer, ws.agent, django_capture_on_commit_callbacks)
    _notify(newer, ws.admin, django_capture_on_commit_callbacks)  # someone else's: not listed
    client = client_for(ws.agent)
    html = client.get("/notifications/").content.decode()
    assert html.index(f"/t/{newer.number}/") < html.index(f"/t/{older.number}/")
    assert html.count("data-notification=") == 2 and html.count("data-unread") == 2
    assert "Mark all read" in html
    mine = Notification.objects.filter(user=ws.agent).order_by("-id").first()
    theirs = Notification.objects.get(user=ws.admin)

    assert client.get(f"/notifications/{mine.pk}/read/").status_code == 405  # no change on a plain GET
    assert client.post(f"/notifications/{theirs.pk}/read/", HTTP_HX_REQUEST="true").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        row = client.post(f"/notifications/{mine.pk}/read/", HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    body = row.content.decode()
    assert f'id="notification-{mine.pk}"' in body and "data-unread" not in body and "<html" not in body
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert _link(client.get("/").content.decode()) == "Notifications (1)"
    other = Notification.objects.get(user=ws.agent, read_at__isnull=True)
    with django_capture_on_commit_callbacks(execute=True):
        opened = client.post(f"/notifications/{other.pk}/read/", {"open": "1"})
    assert opened.status_code == 302 and opened["Location"] == f"/t/{older.number}/"
    other.refresh_from_db()
    assert other.read_at is not None
    assert _link(client.get("/").content.decode()) == "Notifications"


def test_viewers_get_no_link_and_no_page(client_for, make_user):
    viewer = make_user(Role.VIEWER)
    client = client_for(viewer)
    page = client.get("/")
    assert page.status_code == 200 and "data-notifications-link" not in page.content.decode()
    assert client.get("/notifications/").status_code == 403


def test_the_link_costs_no_query_once_cached_and_the_page_is_bounded(
    ws, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    tickets = ws.tickets_make(3)
    for t in tickets:
        _notify(t, ws.agent, django_capture_on_commit_callbacks)
    client = client_for(ws.agent)
    client.get("/notifications/")  # warms the session's and the count's caches
    # The session, the user, the list with its tickets; the count is a cache read.
    with django_assert_max_num_queries(3):
        response = client.get("/notifications/")
    assert response.status_code == 200 and "Notifications (3)" in re.sub(r"<[^>]+>", "", response.content.decode())
    with CaptureQueriesContext(connection) as queries:
        inbox = client.get("/")
    assert inbox.status_code == 200 and "Notifications (3)" in re.sub(r"<[^>]+>", "", inbox.content.decode())
    assert not [q for q in queries.captured_queries if "automation_notification" in q["sql"]]
