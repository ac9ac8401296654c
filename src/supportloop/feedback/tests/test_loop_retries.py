"""A closing-the-loop notice that fails is tried again with backoff, with the same Message-ID, until it is sent
or gives up; a product manager sees each contact's state and retries the ones that gave up; a worker that
dies mid-send neither loses a notice nor sends it twice at once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from supportloop.core.errors import Conflict
from supportloop.core.models import Event
from supportloop.feedback.models import ClosingNotice
from supportloop.feedback.services import (
    close_the_loop_preview,
    close_the_loop_send,
    closing_notices_retry,
    evidence_add,
    feedback_item_set_status,
)
from supportloop.feedback.services.loop import BACKOFF_SECONDS, MAX_ATTEMPTS
from supportloop.feedback.tasks import close_the_loop, notices_due

FAILING = "supportloop.feedback.tests.failing_backend.FailingBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def shipped(db, contact, ticket_for, item, agent):
    """An item two customers asked for: Ann and Bo, each through a ticket."""
    ann = contact("Ann Lee", None, language="en", email="ann@loop.example")
    bo = contact("Bo Chen", None, language="en", email="bo@loop.example")
    export = item("Export to Excel")
    evidence_add(item=export, actor=agent, ticket=ticket_for(ann))
    evidence_add(item=export, actor=agent, ticket=ticket_for(bo))
    return export


def _ship(item, pm, capture):
    with capture(execute=True):
        feedback_item_set_status(item=item, status="shipped", actor=pm, release_note="Reports › Export.")


def _backoff_elapses(item):
    """The time until the next attempt passes (the rows' next attempt moves to the past)."""
    ClosingNotice.objects.filter(item=item, status="pending").update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def _message_ids(outbox) -> dict[str, str]:
    return {m.to[0]: m.extra_headers["Message-ID"] for m in outbox}


def test_a_failed_notice_is_retried_with_backoff_and_the_same_message_id(
    shipped, pm, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FAILING
    _ship(shipped, pm, django_capture_on_commit_callbacks)
    notices = list(ClosingNotice.objects.filter(item=shipped))
    # The first attempt failed: queued again, not given up, with the error and the time of the next try.
    assert [(n.status, n.attempts, n.error) for n in notices] == [
        ("pending", 1, "ConnectionRefusedError: SMTP server unavailable")
    ] * 2
    assert all(n.next_attempt_at - n.attempted_at == timedelta(seconds=BACKOFF_SECONDS[0]) for n in notices)
    message_ids = {n.email: f"<{n.message_id}>" for n in notices}
    assert all(n.message_id for n in notices) and len(set(message_ids.values())) == 2

    # A run before the backoff has passed (the task delivered again) makes no attempt.
    close_the_loop.call(item_id=shipped.pk, kind="shipped")
    assert set(ClosingNotice.objects.values_list("attempts", flat=True)) == {1}

    # The second attempt fails too: the next wait is longer.
    _backoff_elapses(shipped)
    close_the_loop.call(item_id=shipped.pk, kind="shipped")
    second = list(ClosingNotice.objects.filter(item=shipped))
    assert [(n.status, n.attempts) for n in second] == [("pending", 2)] * 2
    assert all(n.next_attempt_at - n.attempted_at == timedelta(seconds=BACKOFF_SECONDS[1]) for n in second)

    # The mail server is back: the third attempt delivers, under the Message-ID fixed before the first.
    settings.EMAIL_BACKEND = LOCMEM
    _backoff_elapses(shipped)
    result = close_the_loop.call(item_id=shipped.pk, kind="shipped")
    assert result["sent"] == 2
    assert _message_ids(mail.outbox) == message_ids
    assert [(n.status, n.attempts, n.error) for n in ClosingNotice.objects.filter(item=shipped)] == [
        ("sent", 3, "")
    ] * 2
    assert close_the_loop.call(item_id=shipped.pk, kind="shipped")["sent"] == 0
    assert len(mail.outbox) == 2


def test_a_notice_that_gave_up_is_not_promised_and_a_product_manager_retries_it(
    shipped, pm, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FAILING
    _ship(shipped, pm, django_capture_on_commit_callbacks)
    preview = close_the_loop_preview(item=shipped, kind="shipped")
    # Queued for another try: they will still be told.
    assert [(r["notice_status"], r["will_be_told"]) for r in preview] == [("pending", True)] * 2
    for _ in range(MAX_ATTEMPTS - 1):
        _backoff_elapses(shipped)
        close_the_loop.call(item_id=shipped.pk, kind="shipped")
    assert [(n.status, n.attempts) for n in ClosingNotice.objects.filter(item=shipped)] == [
        ("failed", MAX_ATTEMPTS)
    ] * 2
    # Given up: the preview no longer claims anyone will be told, and says why.
    preview = close_the_loop_preview(item=shipped, kind="shipped")
    assert [(r["notice_status"], r["will_be_told"], r["already_told"]) for r in preview] == [
        ("failed", False, False)
    ] * 2
    assert all("ConnectionRefusedError" in r["error"] for r in preview)

    # Posting the status again sends nothing (as the preview said): retrying is the product manager's call.
    settings.EMAIL_BACKEND = LOCMEM
    with django_capture_on_commit_callbacks(execute=True):
        feedback_item_set_status(item=shipped, status="shipped", actor=pm, notify=True)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        retried = closing_notices_retry(item=shipped, actor=pm)
    assert len(retried) == 2 and len(mail.outbox) == 2
    assert [(n.status, n.attempts) for n in ClosingNotice.objects.filter(item=shipped)] == [("sent", 1)] * 2
    event = Event.objects.get(verb="feedback_item.notices_retried")
    assert (event.actor_id, event.target_id) == (pm.pk, str(shipped.pk))
    assert sorted(event.changes["notices"][1]) == sorted(retried)
    with pytest.raises(Conflict):
        closing_notices_retry(item=shipped, actor=pm)


def test_a_worker_killed_mid_send_neither_loses_the_notice_nor_sends_it_twice_at_once(shipped, monkeypatch):
    from django.core.mail import EmailMessage

    class WorkerKilled(BaseException):
        pass

    real_send = EmailMessage.send

    def dies_on_ann(message, *args, **kwargs):
        if message.to == ["ann@loop.example"]:
            raise WorkerKilled()
        return real_send(message, *args, **kwargs)

    feedback_item_set_status(item=shipped, status="shipped", actor=None, notify=False, release_note="Live.")
    monkeypatch.setattr(EmailMessage, "send", dies_on_ann)
    with pytest.raises(WorkerKilled):
        close_the_loop_send(item_id=shipped.pk, kind="shipped")
    monkeypatch.undo()
    ann = ClosingNotice.objects.get(email="ann@loop.example")
    assert (ann.status, ann.attempts) == ("sending", 1)  # claimed, no outcome

    # Another run at once (the task delivered twice, or the scheduler) sends Bo's, but not Ann's claimed one:
    # her first attempt may still be under way in another worker.
    close_the_loop_send(item_id=shipped.pk, kind="shipped")
    assert [m.to for m in mail.outbox] == [["bo@loop.example"]]
    ann.refresh_from_db()
    assert (ann.status, ann.attempts) == ("sending", 1)

    # With no outcome after ten minutes the attempt is taken as lost and made again, under the same Message-ID.
    ClosingNotice.objects.filter(pk=ann.pk).update(attempted_at=timezone.now() - timedelta(minutes=11))
    close_the_loop_send(item_id=shipped.pk, kind="shipped")
    assert [m.to for m in mail.outbox] == [["bo@loop.example"], ["ann@loop.example"]]
    assert mail.outbox[1].extra_headers["Message-ID"] == f"<{ann.message_id}>"
    ann.refresh_from_db()
    assert (ann.status, ann.attempts) == ("sent", 2)


def test_the_scheduler_finds_notices_due_for_another_attempt_and_lost_ones(
    shipped, pm, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from supportloop.core.schedule import jobs, scheduler_tick

    monkeypatch.setattr(
        "supportloop.core.schedule.jobs", {"feedback.closing_notices": jobs["feedback.closing_notices"]}
    )
    settings.EMAIL_BACKEND = FAILING
    _ship(shipped, pm, django_capture_on_commit_callbacks)
    now = timezone.now()
    assert notices_due(now) is None  # both wait 30 s for their next attempt
    assert notices_due(now + timedelta(seconds=BACKOFF_SECONDS[0] + 1)) is not None
    settings.EMAIL_BACKEND = LOCMEM
    later = now + timedelta(seconds=BACKOFF_SECONDS[0] + 1)
    _backoff_elapses(shipped)
    assert len(scheduler_tick(later)) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@loop.example", "bo@loop.example"]
    assert notices_due(later) is None
    # A claim without an outcome is due again once it is taken as lost.
    ClosingNotice.objects.filter(email="ann@loop.example").update(status="sending", attempted_at=now)
    assert notices_due(now + timedelta(minutes=5)) is None
    assert notices_due(now + timedelta(minutes=11)) is not None


def test_the_task_schedules_its_next_attempt_on_a_backend_that_can_wait(shipped, pm, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = FAILING
    feedback_item_set_status(item=shipped, status="shipped", actor=pm, notify=False, release_note="Live.")
    close_the_loop.call(item_id=shipped.pk, kind="shipped")
    queued = DBTaskResult.objects.get(task_path=close_the_loop.module_path)
    due = min(ClosingNotice.objects.values_list("next_attempt_at", flat=True))
    assert queued.run_after == due and queued.args_kwargs["kwargs"] == {"item_id": shipped.pk, "kind": "shipped"}
    assert isinstance(due, datetime) and due > timezone.now()


def test_a_lost_last_attempt_fails_for_a_product_manager_to_retry(shipped):
    feedback_item_set_status(item=shipped, status="shipped", actor=None, notify=False, release_note="Live.")
    close_the_loop_send(item_id=shipped.pk, kind="shipped")
    # Ann's fifth attempt was claimed eleven minutes ago and its worker never came back.
    ClosingNotice.objects.filter(email="ann@loop.example").update(
        status="sending", attempts=MAX_ATTEMPTS, sent_at=None, attempted_at=timezone.now() - timedelta(minutes=11)
    )
    mail.outbox.clear()
    assert close_the_loop_send(item_id=shipped.pk, kind="shipped")["failed"] == 1
    ann = ClosingNotice.objects.get(email="ann@loop.example")
    assert (ann.status, ann.attempts, mail.outbox) == ("failed", MAX_ATTEMPTS, [])
    assert "no outcome" in ann.error


def test_notices_of_an_item_that_is_no_longer_shipped_wait_until_it_ships_again(
    shipped, pm, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FAILING
    _ship(shipped, pm, django_capture_on_commit_callbacks)
    feedback_item_set_status(item=shipped, status="in_progress", actor=pm, note="Rolled back")
    settings.EMAIL_BACKEND = LOCMEM
    _backoff_elapses(shipped)
    # The retry comes due: nobody is told that an item shipped while it is in progress again.
    close_the_loop.call(item_id=shipped.pk, kind="shipped")
    assert mail.outbox == []
    assert {(n.status, n.error) for n in ClosingNotice.objects.filter(item=shipped)} == {
        ("skipped", f"{shipped.reference} is no longer shipped")
    }
    assert notices_due(timezone.now()) is None
    # Shipped again: they are told, under the Message-IDs fixed the first time.
    _ship(shipped, pm, django_capture_on_commit_callbacks)
    assert _message_ids(mail.outbox) == {
        n.email: f"<{n.message_id}>" for n in ClosingNotice.objects.filter(item=shipped, status="sent")
    }
    assert len(mail.outbox) == 2


def test_a_contact_whose_address_bounced_is_not_told_and_the_preview_says_why(
    shipped, pm, django_capture_on_commit_callbacks
):
    from supportloop.customers.services import address_bounce_record

    address_bounce_record(email="bo@loop.example", permanent=True, status="5.1.1", diagnostic="user unknown")
    preview = {row["email"]: row for row in close_the_loop_preview(item=shipped, kind="shipped")}
    assert preview["ann@loop.example"]["will_be_told"] is True
    assert preview["bo@loop.example"]["will_be_told"] is False
    assert "bounced permanently" in preview["bo@loop.example"]["error"]
    _ship(shipped, pm, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["ann@loop.example"]]
