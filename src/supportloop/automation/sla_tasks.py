"""Background side of SLAs: the every-minute check job and the wiring of SLAs into the ticket events.

`connect()` is called once from AutomationConfig.ready(): it registers the ticket-event listener that keeps each
ticket's SLA state current and the scheduled job (`automation.sla_check`, one claim per minute, so several
schedulers enqueue it once) whose task records warnings and breaches.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django_tasks import task

from supportloop.automation.services.sla import sla_check_due


@task()
def sla_check() -> dict[str, int]:
    """Record the SLA warnings and breaches due now; safe to run twice or on two hosts at once."""
    result = sla_check_due()
    return {"warnings": result.warnings, "breaches": result.breaches}


def sla_check_due_period(now: datetime) -> str | None:
    """Scheduler: the current minute when some ticket's next SLA check has come (one probe of the partial
    index automation_sla_check_idx), else None."""
    from supportloop.automation.models import TicketSla

    if not TicketSla.objects.filter(next_check_at__isnull=False, next_check_at__lte=now).exists():
        return None
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def sla_check_enqueue(period: str) -> None:
    sla_check.enqueue()


def connect() -> None:
    from supportloop.automation.services.sla import sla_on_ticket_event
    from supportloop.core.jobs import job_register
    from supportloop.core.schedule import Job, register
    from supportloop.tickets.hooks import register_ticket_event_listener

    register_ticket_event_listener(sla_on_ticket_event)
    job_register("automation.sla_check", sla_check)
    register(
        Job(
            name="automation.sla_check",
            due=sla_check_due_period,
            enqueue=sla_check_enqueue,
            keep_claims_for=timedelta(days=1),
        )
    )
