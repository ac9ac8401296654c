"""Background work of the team app: shift reminders (hourly job) and swap/edit notices. Tasks take ids, call a
service, and are safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime

from django_tasks import task

from supportloop.team.services import shift_change_notice_send, shift_reminders_send, swap_notice_send


@task()
def send_shift_reminders() -> int:
    """Reminders due now (the day before a shift; the morning of it for who asked); once each, whatever runs."""
    return shift_reminders_send()


@task()
def shift_change_notice(shift_id: int, user_ids: list[int]) -> int:
    return shift_change_notice_send(shift_id=shift_id, user_ids=user_ids)


@task()
def swap_notice(request_id: int, user_ids: list[int]) -> int:
    return swap_notice_send(request_id=request_id, user_ids=user_ids)


def reminders_due(now: datetime) -> str | None:
    """Scheduler: one period per hour (the sent-markers make any extra run harmless)."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H")


def reminders_enqueue(period: str) -> None:
    send_shift_reminders.enqueue()


def connect() -> None:
    from datetime import timedelta

    from supportloop.accounts.permissions import register_temporary_role
    from supportloop.core.jobs import job_register
    from supportloop.core.schedule import Job, register
    from supportloop.team.selectors import duty_role

    register_temporary_role(duty_role)
    job_register("team.shift_change_notice", shift_change_notice)
    job_register("team.swap_notice", swap_notice)
    job_register("team.send_shift_reminders", send_shift_reminders)
    register(
        Job(
            name="team.shift_reminders",
            due=reminders_due,
            enqueue=reminders_enqueue,
            keep_claims_for=timedelta(days=2),
        )
    )
