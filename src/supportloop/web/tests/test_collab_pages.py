"""The ticket page and inbox parts of working together (issue 12): the draft comes back into the composer, other
agents' drafts and presence show, a reply from a stale page is held with its text kept, undo send, the inbox
marks."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from supportloop.core.models import Event
from supportloop.tickets.models import Draft, Message
from supportloop.tickets.presence import presence_touch
from supportloop.tickets.services import draft_save, ticket_reply

pytestmark = pytest.mark.django_db


def _seen_id(html: str) -> int:
    return int(re.search(r'name="seen_public_id" value="(\d+)"', html).group(1))


def test_the_draft_autosaves_comes_back_and_other_agents_see_it(ws, client_for, make_user):
    (t,) = ws.tickets_make(1)
    sam = make_user("agent", first_name="Sam", last_name="Smith")
    assert client_for(ws.agent).post(f"/t/{t.number}/draft/", {"body": "Hi Alice, about the refund"}).status_code == 204
    html = client_for(ws.agent).get(f"/t/{t.number}/").content.decode()
    assert "Hi Alice, about the refund</textarea>" in html and "Draft restored." in html
    other = client_for(sam).get(f"/t/{t.number}/").content.decode()
    assert "Alex Agent is replying" in other and "Hi Alice, about the refund" not in other  # typing just now
    cache.clear()  # Alex closed the tab: the draft stays
    assert "Alex Agent is drafting a reply" in client_for(sam).get(f"/t/{t.number}/").content.decode()
    client_for(ws.agent).post(f"/t/{t.number}/draft/discard/")
    assert not Draft.objects.exists()


def test_presence_heartbeat_answers_who_else_is_there(ws, client_for, make_user):
    (t,) = ws.tickets_make(1)
    sam = make_user("agent", first_name="Sam", last_name="Smith")
    client_for(sam).post(f"/t/{t.number}/presence/", {"state": "replying"})
    html = client_for(ws.agent).post(f"/t/{t.number}/presence/", {"state": "viewing"}).content.decode()
    assert "Sam Smith is replying" in html
    page = client_for(sam).get(f"/t/{t.number}/").content.decode()
    assert "Alex Agent is viewing" in page
    client_for(sam).post(f"/t/{t.number}/presence/", {"state": "left"})
    assert "Sam Smith" not in client_for(ws.agent).post(f"/t/{t.number}/presence/").content.decode()


def test_a_reply_from_a_stale_page_is_held_with_its_text_kept(ws, client_for, make_user):
    (t,) = ws.tickets_make(1)
    sam = make_user("agent", first_name="Sam", last_name="Smith")
    client = client_for(ws.agent)
    seen = _seen_id(client.get(f"/t/{t.number}/").content.decode())
    ticket_reply(ticket=t, actor=sam, body="Sam answered first.")
    form = {"kind": "reply", "body": "My late answer", "seen_public_id": seen}
    response = client.post(f"/t/{t.number}/compose/", form)
    html = response.content.decode()
    assert response.status_code == 409
    assert "New reply since you opened this:" in html and "Send anyway" in html and "Discard" in html
    assert "My late answer</textarea>" in html
    assert not Message.objects.filter(body_text="My late answer").exists()
    assert Draft.objects.get(user=ws.agent).body == "My late answer"  # Review reloads the page with it
    response = client.post(f"/t/{t.number}/compose/", {**form, "send_anyway": "1"})
    assert response.status_code == 302 and Message.objects.filter(body_text="My late answer").exists()
    assert not Draft.objects.exists()


def test_undo_send_shows_the_toast_and_puts_the_text_back(ws, client_for, settings):
    settings.SUPPORTLOOP_UNDO_SEND_SECONDS = 10
    (t,) = ws.tickets_make(1)
    client = client_for(ws.agent)
    seen = _seen_id(client.get(f"/t/{t.number}/").content.decode())
    client.post(f"/t/{t.number}/compose/", {"kind": "reply", "body": "Refund sent.", "seen_public_id": seen})
    reply = Message.objects.get(body_text="Refund sent.")
    html = client.get(f"/t/{t.number}/").content.decode()
    assert re.search(r'class="toast" role="status"', html) and f"/undo/{reply.pk}/" in html
    assert "Sent." in html and "data-countdown" in html
    response = client.post(f"/t/{t.number}/undo/{reply.pk}/", follow=True)
    page = response.content.decode()
    assert "Refund sent.</textarea>" in page and "Reply withdrawn" in page
    assert not Message.objects.filter(pk=reply.pk).exists()
    assert Event.objects.filter(verb="ticket.reply_withdrawn").count() == 1
    assert "took back a reply before it was sent" in page


def test_without_a_delay_there_is_no_undo(ws, client_for, settings):
    settings.SUPPORTLOOP_UNDO_SEND_SECONDS = 0
    (t,) = ws.tickets_make(1)
    client = client_for(ws.agent)
    response = client.post(f"/t/{t.number}/compose/", {"kind": "reply", "body": "Now."}, follow=True)
    assert "Reply sent." in response.content.decode() and "data-undo-toast" not in response.content.decode()
    assert Message.objects.get(body_text="Now.").held_until is None


def test_inbox_marks_say_who_is_there_and_where_the_user_has_a_draft(
    ws, client_for, make_user, django_assert_max_num_queries
):
    a, b, c = ws.tickets_make(3)
    sam = make_user("agent", first_name="Sam", last_name="Smith")
    presence_touch(number=a.number, user_id=sam.pk, name="Sam Smith", state="replying")
    presence_touch(number=a.number, user_id=ws.agent.pk, name="Alex Agent")  # oneself is left out
    draft_save(ticket=b, user=ws.agent, body="half an answer")
    draft_save(ticket=c, user=sam, body="Sam's, not mine")
    client = client_for(ws.agent)
    assert f'data-collab="{a.number}"' in client.get("/").content.decode()
    with django_assert_max_num_queries(3):  # session, user, drafts
        marks = client.get(f"/inbox/marks/?n={a.number}&n={b.number}&n={c.number}&n=x").json()["marks"]
    assert marks == {
        str(a.number): {"viewing": [], "replying": ["Sam Smith"], "draft": False},
        str(b.number): {"viewing": [], "replying": [], "draft": True},
    }
