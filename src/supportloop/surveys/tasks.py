"""Background side of surveys: sending one survey, the every-minute pass over due sends, the daily NPS
schedule, and the bad-rating alert mail. Tasks take ids and call a service; each is safe to run twice.

`connect()` is called once from SurveysConfig.ready(): the ticket-event listener that schedules a survey when a
ticket is solved, the named jobs services enqueue, and the scheduler's periodic jobs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django_tasks import task

from supportloop.surveys import services
from supportloop.surveys.services.sending import due_sends_q


@task()
def survey_send(send_id: int) -> str:
    return services.survey_send_deliver(send_id=send_id)


@task()
def survey_sends_due() -> dict[str, int]:
    return services.survey_sends_deliver_due()


@task()
def nps_schedule() -> int:
    return services.nps_schedule_due()


@task()
def bad_rating_alert(bad_rating_id: int) -> int:
    return services.bad_rating_alert_send(bad_rating_id=bad_rating_id)


def sends_due_period(now: datetime) -> str | None:
    """Scheduler: the current minute when some survey is due to go out, else None."""
    from supportloop.surveys.models import SurveySend

    if not SurveySend.objects.filter(due_sends_q(now)).exists():
        return None
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def nps_period(now: datetime) -> str | None:
    """Scheduler: once a day while NPS is on."""
    from supportloop.surveys.models import SurveySettings

    if not SurveySettings.objects.filter(nps_enabled=True).exists():
        return None
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def sends_due_enqueue(period: str) -> None:
    survey_sends_due.enqueue()


def nps_enqueue(period: str) -> None:
    nps_schedule.enqueue()


def connect() -> None:
    from supportloop.core.jobs import job_register
    from supportloop.core.schedule import Job, register
    from supportloop.tickets.hooks import register_ticket_event_listener

    register_ticket_event_listener(services.survey_on_ticket_event)
    job_register("surveys.bad_rating_alert", bad_rating_alert)
    job_register("surveys.send", survey_send)
    register(
        Job(
            name="surveys.sends_due",
            due=sends_due_period,
            enqueue=sends_due_enqueue,
            keep_claims_for=timedelta(days=1),
        )
    )
    register(
        Job(
            name="surveys.nps_schedule",
            due=nps_period,
            enqueue=nps_enqueue,
            keep_claims_for=timedelta(days=30),
        )
    )
