"""Shift reminders: the day before (and the morning of, for who asked), in the person's language, with the
queue link, sent once even when the task runs twice or two runs meet."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import connection

from supportloop.accounts.choices import Role
from supportloop.accounts.services import user_create
from supportloop.core.models import Event
from supportloop.feedback.tests.concurrency import in_thread, separate_connections
from supportloop.team import services
from supportloop.team.models import Shift, ShiftPattern, ShiftReminder

DAY = date(2027, 3, 10)
EVENING_BEFORE = datetime(2027, 3, 9, 18, 0, tzinfo=UTC)  # TIME_ZONE is UTC in the tests
MORNING_OF = datetime(2027, 3, 10, 7, 30, tzinfo=UTC)


def make_shift(user) -> Shift:
    pattern, _ = ShiftPattern.objects.get_or_create(name="Day", defaults={"start_time": time(9), "end_time": time(17)})
    starts, ends = services.shift_bounds(DAY, pattern)
    return Shift.objects.create(date=DAY, pattern=pattern, user=user, starts_at=starts, ends_at=ends)


@pytest.mark.django_db
def test_day_before_reminder_goes_once_in_the_persons_language_with_the_link(make_user):
    person = make_user(Role.VIEWER, language="ru")
    services.rotation_member_set(user=person, actor=None)
    make_shift(person)
    mail.outbox.clear()
    assert services.shift_reminders_send(now=EVENING_BEFORE) == 1
    assert services.shift_reminders_send(now=EVENING_BEFORE) == 0  # the task runs again: nothing more
    assert services.shift_reminders_send(now=EVENING_BEFORE + timedelta(hours=3)) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [person.email]
    assert "/team/duty/" in message.body and "09:00" in message.body
    assert Event.objects.filter(verb="team.reminder_sent").count() == 1


@pytest.mark.django_db
def test_morning_reminder_only_for_who_asked(make_user):
    asked, other = make_user(Role.AGENT), make_user(Role.AGENT)
    services.rotation_member_set(user=asked, actor=None, morning_reminder=True)
    services.rotation_member_set(user=other, actor=None)
    shift = make_shift(asked)
    mail.outbox.clear()
    assert services.shift_reminders_send(now=MORNING_OF) == 1
    assert ShiftReminder.objects.get().kind == "morning_of"
    shift.user = other
    shift.save()
    assert services.shift_reminders_send(now=MORNING_OF) == 0  # `other` did not ask for the morning one


@pytest.mark.django_db
def test_a_failed_mail_releases_the_claim_for_the_next_run(make_user, settings):
    person = make_user(Role.AGENT)
    make_shift(person)
    settings.EMAIL_BACKEND = "supportloop.feedback.tests.failing_backend.FailingBackend"
    assert services.shift_reminders_send(now=EVENING_BEFORE) == 0
    assert not ShiftReminder.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.shift_reminders_send(now=EVENING_BEFORE) == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_reminder(tmp_path):
    with separate_connections(tmp_path) as connect_here:
        person = user_create(username="onduty", email="onduty@staff.example", role=Role.AGENT)
        make_shift(person)
        mail.outbox.clear()
        threads = [in_thread(lambda: services.shift_reminders_send(now=EVENING_BEFORE), connect_here) for _ in range(2)]
        for t in threads:
            t.join(30)
        assert [t.error for t in threads] == [None, None]
        assert sorted(t.result for t in threads) == [0, 1]
        assert len(mail.outbox) == 1
        assert ShiftReminder.objects.count() == 1
    assert connection.vendor in {"sqlite", "postgresql"}
