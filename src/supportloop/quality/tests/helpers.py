"""Builders of the quality tests: solved tickets in a chosen week, CSAT answers, a scorecard."""

from __future__ import annotations

from datetime import datetime, timedelta

from supportloop.quality import services
from supportloop.quality.choices import Scale
from supportloop.surveys.models import SurveyResponse, SurveySend
from supportloop.tickets.models import Ticket

WEEK = "2026-W10"  # Monday 2026-03-02 .. Sunday 2026-03-08 (TIME_ZONE UTC in tests)
CRITERIA = [
    {"label": "Tone", "weight": 2, "scale": Scale.ONE_TO_FIVE},
    {"label": "Accuracy", "weight": 3, "scale": Scale.PASS_FAIL},
]


def in_week(week: str = WEEK, hours: int = 30) -> datetime:
    return services.week_bounds(week)[0] + timedelta(hours=hours)


def solved(make_ticket, *, agent, week: str = WEEK, hours: int = 30, team=None) -> Ticket:
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(
        status="solved", solved_at=in_week(week, hours), assignee=agent, team=team
    )
    ticket.refresh_from_db()
    return ticket


def csat(
    ticket: Ticket, *, agent, score: int, week: str = WEEK, team=None, rated_week: str | None = None
) -> SurveyResponse:
    """A 1-5 answer rated in `rated_week` (default `week`); its solved date is the ticket's."""
    sentiment = "good" if score >= 4 else "bad" if score <= 2 else "neutral"
    when = in_week(rated_week or week, 40)
    send = SurveySend.objects.create(
        kind="csat", scale="five", ticket=ticket, contact=ticket.requester, expires_at=when + timedelta(days=9)
    )
    return SurveyResponse.objects.create(
        send=send,
        kind="csat",
        scale="five",
        score=score,
        sentiment=sentiment,
        ticket=ticket,
        contact=ticket.requester,
        agent=agent,
        team=team,
        rated_at=when,
        solved_at=ticket.solved_at,
    )


def scorecard(actor, *, criteria=None, name="Quality"):
    return services.scorecard_create(name=name, criteria=criteria or CRITERIA, active=True, actor=actor)
