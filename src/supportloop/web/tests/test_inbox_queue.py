"""Issue 12, queue shaping on the inbox page: sorts with keyset pages, the remembered sort and view, Unread,
the Snoozed view, saved-view counts from the rollup, and the row's preview, wait and initials."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from supportloop.tickets.models import Ticket, TicketRead
from supportloop.tickets.services import message_add_from_contact, ticket_reply, ticket_update
from supportloop.web.models import InboxPreference, SavedView
from supportloop.web.tests.test_agent_pages import rows

pytestmark = pytest.mark.django_db


def _more(response) -> str:
    return re.search(r'hx-get="(\?[^"]+cursor=[^"]+)"', response.content.decode()).group(1).replace("&amp;", "&")


def _all_pages(client, url: str) -> list[int]:
    first = client.get(url)
    numbers = rows(first)
    while 'id="more-row"' in (html := first.content.decode()) and "cursor=" in html:
        first = client.get("/" + _more(first), HTTP_HX_REQUEST="true")
        numbers += rows(first)
    return numbers


@pytest.mark.parametrize("sort", ["waiting", "priority", "-created", "-updated"])
def test_every_sort_pages_through_every_ticket_once_in_its_order(ws, client_for, sort, settings):
    made = ws.tickets_make(7)
    for t in made[::3]:
        ticket_reply(ticket=t, actor=ws.agent, body="answered")  # no longer waiting
    ticket_update(ticket=made[1], actor=ws.agent, priority="high")
    client = client_for(ws.agent)
    from supportloop.web import selectors

    limit = 3
    original = selectors.inbox_page

    def small_pages(**kw):
        return original(**{**kw, "limit": limit})

    settings.DEBUG = False
    selectors.inbox_page = small_pages
    try:
        numbers = _all_pages(client, f"/?sort={sort}")
    finally:
        selectors.inbox_page = original
    tickets = {t.number: t for t in Ticket.objects.all()}
    if sort == "waiting":
        expected = sorted((t for t in tickets.values() if t.waiting_since), key=lambda t: (t.waiting_since, t.pk))
    elif sort == "priority":
        expected = sorted(tickets.values(), key=lambda t: (t.priority_rank, -t.updated_at.timestamp(), -t.pk))
    elif sort == "-created":
        expected = sorted(tickets.values(), key=lambda t: (t.created_at, t.pk), reverse=True)
    else:
        expected = sorted(tickets.values(), key=lambda t: (t.updated_at, t.pk), reverse=True)
    assert numbers == [t.number for t in expected]
    assert len(numbers) == len(set(numbers))


def test_the_last_sort_and_view_are_remembered(ws, client_for):
    ws.tickets_make(2)
    client = client_for(ws.agent)
    client.get("/?view=urgent&sort=priority")
    assert InboxPreference.objects.filter(user=ws.agent, sort="priority", view="urgent").exists()
    html = client.get("/").content.decode()
    assert '<option value="priority" selected' in html
    assert '<input type="hidden" name="view" value="urgent">' in html
    client.get("/?view=all")
    assert InboxPreference.objects.get(user=ws.agent).view == "all"


def test_unread_lists_tickets_with_customer_news_since_the_agents_visit(ws, client_for):
    a, b = ws.tickets_make(2)
    client = client_for(ws.agent)
    assert set(rows(client.get("/?unread=1"))) == {a.number, b.number}
    client.get(f"/t/{a.number}/")
    assert TicketRead.objects.filter(user=ws.agent, ticket=a).exists()
    assert rows(client.get("/?unread=1")) == [b.number]
    message_add_from_contact(ticket=a, contact=a.requester, body="one more thing")
    assert set(rows(client.get("/?unread=1"))) == {a.number, b.number}


def test_snoozed_tickets_leave_the_views_for_the_snoozed_view(ws, client_for):
    a, b = ws.tickets_make(2)
    client = client_for(ws.agent)
    response = client.post(f"/t/{a.number}/snooze/", {"until": "tomorrow"})
    assert response.status_code == 302
    assert rows(client.get("/?view=all")) == [b.number]
    snoozed = client.get("/?view=snoozed")
    assert rows(snoozed) == [a.number]
    assert re.search(r'data-count="snoozed">1<', snoozed.content.decode())
    assert re.search(r'data-count="all">1<', snoozed.content.decode())
    assert '<span>Support</span><span class="count">1</span>' in snoozed.content.decode()  # teams count awake ones
    client.post(f"/t/{a.number}/snooze/", {"until": "wake"})
    assert set(rows(client.get("/?view=all"))) == {a.number, b.number}
    custom = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/t/{b.number}/snooze/", {"until": "custom", "at": custom})
    assert Ticket.objects.get(pk=b.pk).snoozed_until is not None
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/t/{a.number}/snooze/", {"until": "custom", "at": past})
    assert Ticket.objects.get(pk=a.pk).snoozed_until is None  # refused: not in the future


def test_saved_views_show_counts_from_the_rollup_unless_they_search_or_tag(ws, client_for):
    made = ws.tickets_make(5)  # urgent: made[0]
    ticket_update(ticket=made[1], actor=ws.agent, assignee=ws.agent)
    SavedView.objects.create(user=ws.agent, name="Urgent", query="view=urgent")
    SavedView.objects.create(user=ws.agent, name="Mine", query=f"assignee={ws.agent.pk}")
    SavedView.objects.create(user=ws.agent, name="Tagged", query="tag=billing")
    SavedView.objects.create(user=ws.agent, name="Search", q="invoice")
    html = client_for(ws.agent).get("/").content.decode()
    saved_count = r'>([A-Za-z]+)(?:<[^>]*>[^<]*</span>)? <span class="count" data-saved-count="\d+">(\d+)<'
    counts = dict(re.findall(saved_count, html))
    assert counts == {"Urgent": "1", "Mine": "1"}


def test_rows_show_the_preview_the_wait_and_the_assignees_initials(ws, client_for):
    a, b = ws.tickets_make(2)
    ticket_update(ticket=a, actor=ws.agent, assignee=ws.agent)
    ticket_reply(ticket=a, actor=ws.agent, body="We refunded the invoice.")
    ticket_reply(ticket=b, actor=ws.admin, body="Looking into it.")
    message_add_from_contact(ticket=b, contact=b.requester, body="Any news on my invoice?")
    Ticket.objects.filter(pk=b.pk).update(waiting_since=timezone.now() - timedelta(hours=3, minutes=5))
    html = client_for(ws.agent).get("/").content.decode()
    row_a = re.search(rf'<tr data-href="/t/{a.number}/".*?</tr>', html, re.S).group(0)
    row_b = re.search(rf'<tr data-href="/t/{b.number}/".*?</tr>', html, re.S).group(0)
    assert "<b>You:</b> We refunded the invoice." in row_a
    assert '<span class="avatar" title="Alex Agent" aria-label="Alex Agent">AA</span>' in row_a
    assert "waiting" not in row_a
    assert "Any news on my invoice?" in row_b and "<b>" not in row_b.split("preview")[1].split("</p>")[0]
    assert "waiting 3 h" in row_b
    other = client_for(ws.admin).get("/").content.decode()
    assert "<b>Alex Agent:</b> We refunded the invoice." in other


def test_the_inbox_first_page_costs_the_same_queries_with_every_sort(ws, client_for, django_assert_max_num_queries):
    ws.tickets_make(30)
    SavedView.objects.create(user=ws.agent, name="Urgent", query="view=urgent")
    SavedView.objects.create(user=ws.agent, name="Mine", query=f"assignee={ws.agent.pk}")
    client = client_for(ws.agent)
    client.get("/?sort=waiting")
    for sort in ("waiting", "priority", "-created", "-updated"):
        with django_assert_max_num_queries(14):
            client.get(f"/?sort={sort}")
