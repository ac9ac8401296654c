"""A message body over the display limit (issue 10, item 6): the ticket page shows its beginning and links the
whole text, which is stored whole and served as text/plain."""

from __future__ import annotations

import pytest
from django.test import Client

from supportloop.tickets.models import Message
from supportloop.tickets.services import message_add_from_contact
from supportloop.web.selectors import BODY_DISPLAY_LIMIT

pytestmark = pytest.mark.django_db


def test_a_ten_megabyte_body_is_clipped_on_the_page_and_downloadable_whole(
    ws, client_for, make_ticket, django_assert_max_num_queries
):
    head = "Start of a very long log <b>not markup</b>\n"
    body = head + ("0123456789abcdef\n" * 620_000) + "THE END"  # 10.5 million characters
    ticket = make_ticket("Huge log", body=body, requester=ws.alice)
    message_add_from_contact(ticket=ticket, contact=ws.alice, body="A short follow-up.")
    message = ticket.messages.order_by("id").first()
    assert Message.objects.get(pk=message.pk).body_text == body  # stored whole

    client = client_for(ws.agent)
    with django_assert_max_num_queries(21):
        page = client.get(f"/t/{ticket.number}/")
    html = page.content.decode()
    assert page.status_code == 200 and len(html) < 2 * BODY_DISPLAY_LIMIT
    assert "Start of a very long log &lt;b&gt;not markup&lt;/b&gt;" in html and "THE END" not in html
    assert f"{BODY_DISPLAY_LIMIT:,}" in html and f"{len(body):,}" in html
    link = f"/t/{ticket.number}/messages/{message.pk}/text/"
    assert f'href="{link}"' in html
    assert "A short follow-up." in html  # short messages are shown as before

    whole = client.get(link)
    assert whole.status_code == 200 and whole["Content-Type"] == "text/plain; charset=utf-8"
    assert whole["X-Content-Type-Options"] == "nosniff"
    assert whole.content.decode() == body


def test_the_text_link_needs_the_ticket_permission_and_the_right_ticket(ws, client_for, make_ticket):
    ticket = make_ticket(body="secret text", requester=ws.alice)
    other = make_ticket(body="other", requester=ws.bob)
    message = ticket.messages.get()
    assert client_for(ws.agent).get(f"/t/{other.number}/messages/{message.pk}/text/").status_code == 404
    assert Client().get(f"/t/{ticket.number}/messages/{message.pk}/text/").status_code == 302  # to sign-in
