"""`make demo` closes the loop by itself: a database task worker runs in the demo's process and mail goes to
the Outbox, never to the made-up customers."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from supportloop.demo.management.commands import seed as seed_command
from supportloop.demo.worker import worker_thread_start
from supportloop.mail.outbox import OUTBOX_BACKEND


@pytest.mark.django_db(transaction=True)
def test_the_in_process_worker_sends_the_queued_notices_to_the_outbox(settings, make_user):
    from supportloop.customers.services import contact_create
    from supportloop.feedback.models import ClosingNotice
    from supportloop.feedback.services import evidence_add, feedback_item_create, feedback_item_set_status
    from supportloop.mail.models import OutboxMessage

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    pm = make_user("product")
    item = feedback_item_create(kind="feature_request", title="Dark mode", actor=pm)
    for name, email in (("Ann Lee", "ann@one.example"), ("Ben Ng", "ben@two.example")):
        contact = contact_create(name=name, emails=[email])
        evidence_add(item=item, actor=pm, contact=contact, source="Sales call")
    feedback_item_set_status(item=item, status="shipped", actor=pm, notify=True, release_note="Dark mode is here.")
    # Committed: the notices are queued and the task waits in the database queue; nothing is sent yet.
    assert set(ClosingNotice.objects.values_list("status", flat=True)) == {"pending"}
    assert not OutboxMessage.objects.exists()

    thread = worker_thread_start(interval=0.05, max_tasks=1)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert set(ClosingNotice.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(OutboxMessage.objects.values_list("to", flat=True)) == ["ann@one.example", "ben@two.example"]
    assert all("Dark mode is here." in body for body in OutboxMessage.objects.values_list("body", flat=True))


def test_no_worker_thread_with_the_immediate_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert worker_thread_start() is None


@pytest.mark.django_db
def test_the_demo_prints_all_five_logins_and_keeps_mail_in_the_outbox(monkeypatch, capsys, settings):
    from django.conf import settings as live

    original = seed_command.Command.handle

    def small(self, *args, **opts):  # the demo's 1500 tickets take a minute; the flow is what is tested
        opts["tickets"] = 20
        return original(self, *args, **opts)

    monkeypatch.setattr(seed_command.Command, "handle", small)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    for login in ("admin", "lead", "agent", "pm", "viewer"):
        assert f"    {login:<8} supportloop-demo" in out
    assert "/outbox/" in out
    # The five logins keep the browser's language ("Browser default"), so a Chinese browser stays Chinese.
    from supportloop.accounts.models import User

    assert dict(
        User.objects.filter(username__in=["admin", "lead", "agent", "pm", "viewer"]).values_list("username", "language")
    ) == dict.fromkeys(["admin", "lead", "agent", "pm", "viewer"], "")
    assert live.EMAIL_BACKEND == OUTBOX_BACKEND and live.SUPPORTLOOP_OUTBOX
