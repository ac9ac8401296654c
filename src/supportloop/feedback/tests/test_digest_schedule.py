"""The weekly digest goes out by itself: the scheduler enqueues it once per week from Monday morning, and each
product manager gets it once, a failed mail being retried by the next run."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from supportloop.accounts.choices import Role
from supportloop.core.models import Event, ScheduledRun
from supportloop.core.schedule import jobs, scheduler_tick
from supportloop.feedback.models import DigestDelivery
from supportloop.feedback.services import weekly_digest_send
from supportloop.feedback.tasks import digest_due

pytestmark = pytest.mark.django_db


def at(text: str, tz: str = "Europe/Berlin") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


@pytest.mark.parametrize(
    "moment, due",
    [
        ("2026-11-23 07:59", None),  # Monday before 8:00: nothing yet
        ("2026-11-23 08:00", "2026-11-16@2026-11-23T08"),  # Monday 8:00: last week (Mon 16 - Sun 22)
        ("2026-11-24 15:30", "2026-11-16@2026-11-24T15"),  # hourly for three days: retries, catch-up
        ("2026-11-26 07:59", "2026-11-16@2026-11-26T07"),
        ("2026-11-26 08:00", None),  # the window has closed: a late start sends nothing old
        ("2026-11-29 23:59", None),
        ("2026-11-30 08:30", "2026-11-23@2026-11-30T08"),
    ],
)
def test_the_due_week_follows_monday_morning_in_the_workspace_time_zone(settings, moment, due):
    from django.utils import timezone

    settings.SUPPORTLOOP_DIGEST_HOUR = 8
    with timezone.override("Europe/Berlin"):
        assert digest_due(at(moment)) == due
        # 07:30 UTC on that Monday is 08:30 in Berlin (UTC+1): due there.
        assert digest_due(at("2026-11-23 07:30", "UTC")) == "2026-11-16@2026-11-23T08"


def test_the_scheduler_sends_a_week_once_however_often_it_wakes(pm, settings, monkeypatch):
    settings.SUPPORTLOOP_DIGEST_HOUR = 8
    monkeypatch.setattr("supportloop.core.schedule.jobs", {"feedback.weekly_digest": jobs["feedback.weekly_digest"]})
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))
    assert scheduler_tick(monday) == ["feedback.weekly_digest 2026-11-16@2026-11-23T09"]
    assert [m.to for m in mail.outbox] == [[pm.email]]  # the immediate task backend ran it
    # Another tick or scheduler in the same hour: nothing. Later hours of the window run it again, and it
    # sends nothing more (each product manager gets the week once).
    assert scheduler_tick(monday.replace(minute=30)) == []
    assert scheduler_tick(monday.replace(hour=10)) == ["feedback.weekly_digest 2026-11-16@2026-11-23T10"]
    assert scheduler_tick(monday.replace(day=24)) == ["feedback.weekly_digest 2026-11-16@2026-11-24T09"]
    assert len(mail.outbox) == 1
    # Next Monday: next week.
    assert scheduler_tick(monday.replace(day=30)) == ["feedback.weekly_digest 2026-11-23@2026-11-30T09"]
    assert len(mail.outbox) == 2


def test_a_mail_that_failed_goes_out_with_the_next_hourly_run(pm, settings, monkeypatch):
    settings.SUPPORTLOOP_DIGEST_HOUR = 8
    monkeypatch.setattr("supportloop.core.schedule.jobs", {"feedback.weekly_digest": jobs["feedback.weekly_digest"]})
    real_send = mail.EmailMessage.send
    monkeypatch.setattr(mail.EmailMessage, "send", lambda *a, **k: (_ for _ in ()).throw(ConnectionRefusedError()))
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))
    scheduler_tick(monday)
    assert mail.outbox == [] and DigestDelivery.objects.get().sent_at is None
    monkeypatch.setattr(mail.EmailMessage, "send", real_send)
    scheduler_tick(monday.replace(hour=10))
    assert [m.to for m in mail.outbox] == [[pm.email]] and DigestDelivery.objects.get().sent_at is not None


def test_each_product_manager_gets_a_week_once_and_a_failed_mail_is_retried(pm, make_user, monkeypatch):
    other = make_user(Role.PRODUCT, username="pm2")
    week = date(2026, 11, 16)
    real_send = mail.EmailMessage.send

    def flaky_send(message, *args, **kwargs):
        if message.to == [other.email]:
            raise ConnectionRefusedError("smtp down")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMessage, "send", flaky_send)
    assert weekly_digest_send(week_start=week) == 1
    failed = DigestDelivery.objects.get(user=other)
    assert failed.sent_at is None and failed.error == "ConnectionRefusedError: smtp down"
    monkeypatch.undo()
    assert weekly_digest_send(week_start=week) == 1  # only the one that failed
    assert weekly_digest_send(week_start=week) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([pm.email, other.email])
    assert Event.objects.filter(verb="feedback.digest_sent").count() == 2
    assert not DigestDelivery.objects.filter(sent_at__isnull=True).exists()


def test_mail_polling_is_enqueued_each_interval_only_when_there_is_a_mailbox(settings, monkeypatch):
    from dataclasses import replace

    from supportloop.mail.choices import ImapSecurity
    from supportloop.mail.services import mailbox_create

    settings.SUPPORTLOOP_MAIL_POLL_SECONDS = 60
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = True  # the mailbox is on 127.0.0.1
    polled = []
    poll = replace(jobs["mail.poll"], enqueue=polled.append)  # record instead of running a poll
    monkeypatch.setattr("supportloop.core.schedule.jobs", {"mail.poll": poll})
    t0 = datetime(2026, 11, 23, 10, 0, 5, tzinfo=ZoneInfo("UTC"))
    assert scheduler_tick(t0) == []  # no mailbox to poll
    mailbox_create(
        address="support@example.test",
        name="S",
        imap_host="127.0.0.1",
        imap_port=1143,
        imap_security=ImapSecurity.NONE,
        imap_username="u",
        password="p",
    )
    assert scheduler_tick(t0) == ["mail.poll 2026-11-23T10:00:00+00:00"]
    assert scheduler_tick(t0.replace(second=35)) == []  # the same minute
    assert scheduler_tick(t0.replace(minute=1)) == ["mail.poll 2026-11-23T10:01:00+00:00"]
    assert polled == ["2026-11-23T10:00:00+00:00", "2026-11-23T10:01:00+00:00"]
    # Claims of a frequent job are kept for a day only.
    assert scheduler_tick(t0.replace(day=25)) == ["mail.poll 2026-11-25T10:00:00+00:00"]
    assert list(ScheduledRun.objects.filter(job="mail.poll").values_list("period", flat=True)) == [
        "2026-11-25T10:00:00+00:00"
    ]


def test_a_failing_job_does_not_stop_the_others_and_is_tried_again(pm, monkeypatch):
    from dataclasses import replace

    def broken(period):
        raise RuntimeError("queue down")

    digest = jobs["feedback.weekly_digest"]
    monkeypatch.setattr(
        "supportloop.core.schedule.jobs",
        {"a.broken": replace(digest, name="a.broken", enqueue=broken), "feedback.weekly_digest": digest},
    )
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))
    assert scheduler_tick(monday) == ["feedback.weekly_digest 2026-11-16@2026-11-23T09"]
    assert not ScheduledRun.objects.filter(job="a.broken").exists()  # its claim released: the next tick retries


def test_no_poll_is_enqueued_while_one_waits_for_the_worker(settings):
    from datetime import timedelta

    from django.utils import timezone

    from supportloop.mail.choices import ImapSecurity
    from supportloop.mail.services import mailbox_create
    from supportloop.mail.tasks import mail_poll_task, poll_due

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = True  # the mailbox is on 127.0.0.1
    mailbox_create(
        address="support@example.test",
        name="S",
        imap_host="127.0.0.1",
        imap_port=1143,
        imap_security=ImapSecurity.NONE,
        imap_username="u",
        password="p",
    )
    now = timezone.now()
    assert poll_due(now) is not None
    mail_poll_task.enqueue()  # the worker is down: it stays READY
    assert poll_due(now) is None
    assert poll_due(now + timedelta(minutes=11)) is not None  # taken as lost after 10 minutes
