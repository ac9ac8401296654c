"""Closing the loop against a slow mail server, with other writers at work (SQLite file database, PostgreSQL).

Each notice is claimed in a short transaction and sent outside any, so a mail server that takes its time holds
no database lock: agents keep updating tickets meanwhile (on SQLite a held write lock made them fail with
"database is locked" after the 5 s busy timeout).
"""

from __future__ import annotations

import asyncio
import email
import threading

import pytest

from supportloop.accounts.choices import Role
from supportloop.accounts.services import user_create
from supportloop.customers.services import contact_create
from supportloop.feedback.models import ClosingNotice
from supportloop.feedback.services import (
    close_the_loop_send,
    evidence_add,
    feedback_item_create,
    feedback_item_set_status,
)
from supportloop.feedback.tests.concurrency import in_thread, separate_connections
from supportloop.tickets.models import Ticket
from supportloop.tickets.services import ticket_create, ticket_update


class HeldSmtp:
    """An aiosmtpd handler that holds every message until the test releases it: a slow mail server."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def slow_smtp(settings):
    from aiosmtpd.controller import Controller

    from supportloop_testing.net import free_port

    handler = HeldSmtp()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    yield handler
    handler.release.set()
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_ticket_updates_go_through_while_the_mail_server_holds_a_notice(tmp_path, slow_smtp):
    with separate_connections(tmp_path) as connect_here:
        pm = user_create(username="pm-slow", email="pm@staff.example", role=Role.PRODUCT)
        ann = contact_create(name="Ann", emails=["ann@slow.example"])
        bo = contact_create(name="Bo", emails=["bo@slow.example"])
        ann_ticket = ticket_create(subject="Export", body="Excel please", requester=ann)
        bo_ticket = ticket_create(subject="Export too", body="Excel for us as well", requester=bo)
        item = feedback_item_create(kind="feature_request", title="Excel export", actor=pm)
        evidence_add(item=item, actor=pm, ticket=ann_ticket)
        evidence_add(item=item, actor=pm, ticket=bo_ticket)
        feedback_item_set_status(item=item, status="shipped", actor=pm, notify=False, release_note="It is live.")

        sender = in_thread(lambda: close_the_loop_send(item_id=item.pk, kind="shipped"), connect_here)
        try:
            assert slow_smtp.arrived.wait(30), "no notice reached the mail server"
            # The mail server holds the first notice; two agents update tickets meanwhile.
            ticket_update(ticket=ann_ticket, actor=pm, priority="high")
            ticket_update(ticket=bo_ticket, actor=pm, priority="urgent")
            assert sender.is_alive() and slow_smtp.messages == []  # still inside the first SMTP exchange
        finally:
            slow_smtp.release.set()
            sender.join(60)
        assert sender.error is None, sender.error
        assert sender.result["sent"] == 2

        assert dict(Ticket.objects.filter(pk__in=[ann_ticket.pk, bo_ticket.pk]).values_list("pk", "priority")) == {
            ann_ticket.pk: "high",
            bo_ticket.pk: "urgent",
        }
        notices = {n.email: n for n in ClosingNotice.objects.filter(item=item)}
        assert {e: n.status for e, n in notices.items()} == {"ann@slow.example": "sent", "bo@slow.example": "sent"}
        received = {m["To"]: m["Message-ID"] for m in slow_smtp.messages}
        assert received == {e: f"<{n.message_id}>" for e, n in notices.items()}
