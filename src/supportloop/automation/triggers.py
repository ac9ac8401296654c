"""Triggers' and time rules' wiring: the ticket-event listener, the actions, and the hourly time-rule job.

`connect()` is called once from AutomationConfig.ready(), after routing and SLAs: listeners run in registration
order, so triggers see the ticket already routed, assigned and with its SLA state. The time-rule job
(`automation.time_rules`) is claimed once per hour by the scheduler (core.schedule), so several schedulers enqueue
it once; the pass itself is idempotent anyway (automation/services/time_rules.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django_tasks import task

from supportloop.automation.services.time_rules import time_rules_check


@task()
def time_rules_run() -> dict[str, int]:
    """Apply the time rules due now; safe to run twice or on two hosts at once."""
    result = time_rules_check()
    return {**result.acted, "skipped": result.skipped}


def time_rules_due_period(now: datetime) -> str | None:
    """Scheduler: the current hour. Each hour is claimed once, so the pass runs hourly; it is not probed first
    because the probe would read the same index windows as the pass itself, every half minute."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H")


def time_rules_enqueue(period: str) -> None:
    time_rules_run.enqueue()


def connect() -> None:
    from supportloop.automation import trigger_actions
    from supportloop.automation.services.triggers import triggers_on_ticket_event
    from supportloop.core.jobs import job_register
    from supportloop.core.schedule import Job, register
    from supportloop.tickets.hooks import register_ticket_event_listener

    trigger_actions.register()
    register_ticket_event_listener(triggers_on_ticket_event)
    job_register("automation.time_rules", time_rules_run)
    register(
        Job(
            name="automation.time_rules",
            due=time_rules_due_period,
            enqueue=time_rules_enqueue,
            keep_claims_for=timedelta(days=2),
        )
    )
