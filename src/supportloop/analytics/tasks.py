"""Background work of the analytics app: the ticket-event listener that keeps the rollups current, and the
weekly lead mail's scheduler job. Tasks take ids or periods and call a service; each is safe to run twice."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from supportloop.analytics.macro_rollups import macro_facts_refresh
from supportloop.analytics.rollups import DONE, ticket_fact_refresh
from supportloop.analytics.services import lead_report_send, week_start_of
from supportloop.tickets.hooks import TicketEvent, TicketEventKind

logger = logging.getLogger("supportloop.analytics")

# Monday at this local hour (SUPPORTLOOP_LEAD_REPORT_HOUR, default 7) the previous week's figures go out; the
# scheduler keeps offering the week for this long so a failed mail is retried and a stopped scheduler catches up.
LEAD_REPORT_WINDOW = timedelta(days=3)


# Events that never change what a fact holds (dimensions, first response, solve, status): no refresh.
UNCHANGING = {TicketEventKind.NOTED, TicketEventKind.RATED, TicketEventKind.SLA_WARNING, TicketEventKind.SLA_BREACH}
# The ticket fields a fact is made of. An update or a reply whose changes name none of them (a priority, a tag, an
# agent's second reply) leaves the fact as it was; one without changes is refreshed, to be safe.
FACT_INPUTS = {
    "status",
    "solved_at",
    "first_response_at",
    "created_at",
    "channel",
    "product_area",
    "contact_reason",
    "team",
    "requester",
    "assignee",
}


def analytics_on_ticket_event(event: TicketEvent) -> None:
    """Refresh the ticket's fact row and hourly buckets after its change committed (idempotent)."""
    if event.kind in UNCHANGING:
        return
    if event.kind != TicketEventKind.CREATED and event.changes and not FACT_INPUTS & set(event.changes):
        return
    status = event.changes.get("status")
    # Only a status leaving solved or closed adds a reopen; an event that names no changes reads the history.
    reopened = status[0] in DONE and status[1] not in DONE if status else not event.changes
    try:
        ticket_fact_refresh(ticket_id=event.ticket_id, reopened=reopened)
    except Exception:  # a report must never break a ticket write; `analytics_rebuild` repairs
        logger.exception("analytics refresh of ticket %s failed", event.ticket_id)


# The ticket fields a macro use is counted under (MacroDailyVolume). Audit changes name every field that changed, so an
# event whose changes name none of them leaves the macro counts as they were.
MACRO_INPUTS = {"channel", "product_area", "contact_reason"}


def analytics_macros_on_ticket_event(event: TicketEvent) -> None:
    """Move the ticket's macro-use counts when its channel, product area or contact reason changed (idempotent). A
    new ticket has no uses yet (its event names the channel): nothing to do, no statement on the create path."""
    if event.kind in UNCHANGING or event.kind == TicketEventKind.CREATED or not MACRO_INPUTS & set(event.changes):
        return
    analytics_on_macro_applied(event.ticket_id)


def analytics_on_macro_applied(ticket_id: int) -> None:
    """Count the ticket's new macro uses (after the use's transaction committed; idempotent)."""
    try:
        macro_facts_refresh(ticket_id=ticket_id)
    except Exception:  # a report must never break a ticket write; `analytics_rebuild` repairs
        logger.exception("analytics macro refresh of ticket %s failed", ticket_id)


@task()
def send_lead_report(week_start: str | None = None) -> int:
    return lead_report_send(week_start=date.fromisoformat(week_start) if week_start else None)


def lead_report_due(now: datetime) -> str | None:
    """The reported week's Monday, with the hour of this run ("2026-11-23@2026-11-30T07"), from Monday's report
    hour for LEAD_REPORT_WINDOW; None outside it. Deliveries are once per lead and week whatever runs."""
    from supportloop.analytics.dashboards import local_midnight

    local = timezone.localtime(now)
    monday = week_start_of(local.date())
    opens = local_midnight(monday) + timedelta(hours=settings.SUPPORTLOOP_LEAD_REPORT_HOUR)
    if not opens <= now < opens + LEAD_REPORT_WINDOW:
        return None
    return f"{(monday - timedelta(weeks=1)).isoformat()}@{local:%Y-%m-%dT%H}"


def lead_report_enqueue(period: str) -> None:
    send_lead_report.enqueue(week_start=period.split("@")[0])


def connect() -> None:
    from supportloop.analytics.survey_rollups import survey_response_counted
    from supportloop.core.jobs import job_register
    from supportloop.core.schedule import Job, register
    from supportloop.surveys.hooks import register_response_listener
    from supportloop.tickets.hooks import register_macro_applied_listener, register_ticket_event_listener

    register_ticket_event_listener(analytics_on_ticket_event)
    register_ticket_event_listener(analytics_macros_on_ticket_event)
    register_macro_applied_listener(analytics_on_macro_applied)
    register_response_listener(survey_response_counted)  # inside the answer's transaction
    job_register("analytics.send_lead_report", send_lead_report)
    register(
        Job(
            name="analytics.lead_report",
            due=lead_report_due,
            enqueue=lead_report_enqueue,
            keep_claims_for=timedelta(days=30),
        )
    )
