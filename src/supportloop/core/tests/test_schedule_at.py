"""`supportloop scheduler --once --at TIME`: a tick as of another moment, and what it must not do to the claims
the running schedulers rely on (found by the cluster test: a tick as of next Monday forgot today's claims, and
the running schedulers enqueued today's mail poll a second time)."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from supportloop.core import schedule
from supportloop.core.models import ScheduledRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def minutely(monkeypatch):
    enqueued: list[str] = []
    job = schedule.Job(
        name="test.minutely",
        due=lambda now: now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
        enqueue=enqueued.append,
        keep_claims_for=timedelta(days=1),
    )
    monkeypatch.setattr(schedule, "jobs", {job.name: job})
    return enqueued


def test_a_tick_as_of_a_later_moment_keeps_the_claims_of_now(minutely):
    now = timezone.now()
    assert schedule.scheduler_tick(now) == [f"test.minutely {now.astimezone(UTC):%Y-%m-%dT%H:%M}"]
    later = now + timedelta(days=3)
    assert len(schedule.scheduler_tick(later)) == 1
    assert ScheduledRun.objects.filter(job="test.minutely").count() == 2
    assert schedule.scheduler_tick(now) == []  # still claimed: not enqueued twice
    assert len(minutely) == 2


def test_claims_older_than_the_keep_period_are_forgotten(minutely):
    now = timezone.now()
    schedule.scheduler_tick(now - timedelta(days=2))
    schedule.scheduler_tick(now)
    assert ScheduledRun.objects.filter(job="test.minutely").count() == 1


def test_the_command_runs_once_as_of_the_given_time(minutely, capsys, monkeypatch):
    from supportloop.core.management.commands import scheduler

    # The command drops stale connections before each tick; inside the test's transaction it would drop the test's.
    monkeypatch.setattr(scheduler, "close_old_connections", lambda: None)
    call_command("scheduler", "--once", "--at", "2026-12-07T09:00Z")
    assert "enqueued test.minutely 2026-12-07T09:00" in capsys.readouterr().out
    assert minutely == ["2026-12-07T09:00"]
    assert ScheduledRun.objects.get().period == "2026-12-07T09:00"


@pytest.mark.parametrize(
    "args", [["--at", "2026-12-07T09:00Z"], ["--once", "--at", "monday"], ["--once", "--at", "2026-12-07T09:00"]]
)
def test_the_command_refuses_an_at_without_once_or_a_zone(minutely, args):
    with pytest.raises(CommandError):
        call_command("scheduler", *args)
    assert minutely == []
