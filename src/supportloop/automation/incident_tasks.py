"""Background side of incidents: the throttled bulk reply task, and the wiring of matching into ticket events.

`connect()` is called once from AutomationConfig.ready(): it registers the ticket-event listener that links new
tickets to open incidents, and the `automation.incident_reply` job that incident_resolve enqueues.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from supportloop.automation.services.incidents import REPLY_PAUSE_SECONDS, incident_reply_batch


@task()
def incident_reply(incident_id: int) -> dict[str, int]:
    """Reply to one batch of the incident's linked tickets, then queue the next batch after a pause (the throttle).
    Safe to run twice or on two workers: each ticket is replied to once (services/incidents.py)."""
    batch = incident_reply_batch(incident_id=incident_id)
    # A batch that sent nothing (every ticket in it failed) stops here rather than looping: those tickets stay
    # "waiting" on the incident page, and resolving does not re-run; an operator enqueues the job again.
    if batch.sent and batch.remaining:
        if incident_reply.get_backend().supports_defer:
            pause = timedelta(seconds=REPLY_PAUSE_SECONDS)
            incident_reply.using(run_after=timezone.now() + pause).enqueue(incident_id=incident_id)
        else:  # the immediate backend (tests, a laptop without a worker): the next batch at once
            incident_reply.enqueue(incident_id=incident_id)
    return {"sent": batch.sent, "remaining": batch.remaining}


def connect() -> None:
    from supportloop.automation.services.incidents import REPLY_JOB, incidents_on_ticket_event
    from supportloop.core.jobs import job_register
    from supportloop.tickets.hooks import register_ticket_event_listener

    register_ticket_event_listener(incidents_on_ticket_event)
    job_register(REPLY_JOB, incident_reply)
