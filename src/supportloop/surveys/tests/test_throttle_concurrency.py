"""The throttle holds when two workers send two surveys to one contact at the same moment: each claim locks the
contact's row, so the second sees the first (being sent) and skips. Real connections, committed for real."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.utils import timezone

from supportloop.customers.services import contact_create
from supportloop.feedback.tests.concurrency import in_thread, separate_connections
from supportloop.surveys.choices import SendStatus
from supportloop.surveys.models import SurveySend
from supportloop.surveys.services import survey_send_deliver, survey_settings_update
from supportloop.tickets.services import ticket_create, ticket_update


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_to_one_contact_at_once_send_one_survey(tmp_path):
    with separate_connections(tmp_path) as connect_here:
        survey_settings_update(actor=None, csat_delay_minutes=5)  # not sent at once by the immediate backend
        ann = contact_create(name="Ann", emails=["ann@race.example"])
        for n in range(2):
            ticket = ticket_create(subject=f"Race {n}", body="Help", requester=ann)
            ticket_update(ticket=ticket, actor=None, status="solved")  # outside a test transaction: listener runs
        sends = list(SurveySend.objects.filter(contact=ann).values_list("pk", flat=True))
        assert len(sends) == 2
        mail.outbox.clear()
        start = threading.Barrier(2)
        later = timezone.now() + timezone.timedelta(minutes=10)

        def deliver(send_id: int):
            return lambda: (start.wait(10), survey_send_deliver(send_id=send_id, now=later))[1]

        workers = [in_thread(deliver(pk), connect_here) for pk in sends]
        for worker in workers:
            worker.join(60)
        assert [w.error for w in workers] == [None, None]
        assert sorted(w.result for w in workers) == ["sent", "skipped"]
        statuses = sorted(SurveySend.objects.filter(contact=ann).values_list("status", flat=True))
        assert statuses == [SendStatus.SENT, SendStatus.SKIPPED]
        assert len(mail.outbox) == 1
