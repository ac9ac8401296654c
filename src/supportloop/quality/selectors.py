"""Reads of the quality app that pages and the API share: scorecards, review lists scoped by who asks, one review,
and the quality report beside CSAT.

The report's arithmetic: a quality figure is the mean of done reviews' weighted scores (each review counts once,
whatever its weights); CSAT % is good / answered x 100 (the surveys app's definition), over the responses about the
same agents that the chosen calculation window puts in the same weeks (rated date, the default, or the date their
ticket was solved; the Satisfaction page's windows). Both are summed in SQL per (week, agent, team) and combined
here, so every table (by week, agent, team, and agent or team by week) adds up from the same few rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from supportloop.accounts.models import Team, User
from supportloop.accounts.permissions import can
from supportloop.core.errors import NotFound, ValidationFailed
from supportloop.quality.choices import ReviewStatus
from supportloop.quality.models import CriterionScore, QualitySettings, Review, Reviewer, SampleRun, Scorecard
from supportloop.quality.services import week_bounds, week_label, week_parse
from supportloop.surveys.choices import Sentiment, SurveyKind, Window
from supportloop.surveys.selectors import survey_response_list

MAX_REPORT_WEEKS = 26


def scorecard_list() -> QuerySet[Scorecard]:
    return Scorecard.objects.prefetch_related("criteria").order_by("-active", "name")


def scorecard_get(*, pk: int) -> Scorecard:
    found = scorecard_list().filter(pk=pk).first()
    if found is None:
        raise NotFound("No such scorecard.")
    return found


def settings_get() -> tuple[QualitySettings, list[int]]:
    current = QualitySettings.objects.filter(pk=1).first() or QualitySettings(pk=1)
    return current, list(Reviewer.objects.order_by("user_id").values_list("user_id", flat=True))


def sample_runs(limit: int = 8) -> QuerySet[SampleRun]:
    return SampleRun.objects.select_related("scorecard").order_by("-week")[:limit]


def _reviews() -> QuerySet[Review]:
    return Review.objects.select_related("ticket", "agent", "reviewer", "scorecard", "team")


def review_list_for_user(
    *, user: User, scope: str = "to_review", status: str | None = None, week: str | None = None
) -> QuerySet[Review]:
    """`to_review`: reviews assigned to the user; `mine`: done reviews of the user's own conversations (an agent
    never sees a review before it is done); `all`: every review (leads and admins only, else empty)."""
    qs = _reviews()
    if scope == "mine":
        qs = qs.filter(agent=user, status=ReviewStatus.DONE)
    elif scope == "all":
        if not can(user, "quality.manage"):
            return qs.none()
    else:
        qs = qs.filter(reviewer=user)
    if status:
        qs = qs.filter(status=status)
    if week:
        qs = qs.filter(week=week)
    if scope == "to_review":
        return qs.order_by("status", "-week", "id")
    return qs.order_by("-week", "-id")


def review_get_for_user(*, user: User, pk: int) -> Review:
    """One review with its scores: for a lead or admin, its reviewer, or (once done) the agent reviewed; anyone
    else gets NotFound, the same answer as for a review that does not exist."""
    review = _reviews().prefetch_related("scores").filter(pk=pk).first()
    if review is None:
        raise NotFound("No such review.")
    if can(user, "quality.manage") or review.reviewer_id == user.pk:
        return review
    if review.agent_id == user.pk and review.status == ReviewStatus.DONE:
        return review
    raise NotFound("No such review.")


def pending_count(*, user: User) -> int:
    return Review.objects.filter(reviewer=user, status=ReviewStatus.ASSIGNED).count()


# --- the report -----------------------------------------------------------------------------------------------


def _pct(total: Decimal | float | int | None, count: int) -> Decimal | None:
    if not count or total is None:
        return None
    return (Decimal(total) / count).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Figures:
    """Quality and CSAT of one slice (a week, an agent, a team)."""

    label: str
    reviews: int = 0
    score_sum: Decimal = Decimal(0)
    csat_count: int = 0
    csat_good: int = 0

    @property
    def quality(self) -> Decimal | None:
        return _pct(self.score_sum, self.reviews)

    @property
    def csat(self) -> Decimal | None:
        return _pct(100 * self.csat_good, self.csat_count)


@dataclass
class CriterionRow:
    label: str
    cells: list[Decimal | None]  # one per week
    answers: int


@dataclass
class WeeklyRow:
    """One agent's or team's figures week by week: `weeks[i]` is the slice of the report's i-th week."""

    label: str
    weeks: list[Figures]


@dataclass
class QualityReport:
    weeks: list[str]
    by_week: list[Figures]
    by_agent: list[Figures]
    by_team: list[Figures]
    by_criterion: list[CriterionRow] = field(default_factory=list)
    by_agent_week: list[WeeklyRow] = field(default_factory=list)
    by_team_week: list[WeeklyRow] = field(default_factory=list)
    window: str = Window.RATED


def report_weeks(*, weeks: int, last: str | None = None) -> list[str]:
    end = week_parse(last) if last else timezone.localdate() - timedelta(days=7)
    monday = end - timedelta(days=end.weekday())
    return [week_label(monday - timedelta(days=7 * i)) for i in reversed(range(weeks))]


def quality_report(
    *, weeks: int = 8, last: str | None = None, team_id: int | None = None, window: str = Window.RATED
) -> QualityReport:
    """Done reviews by week, agent, team, agent and week, team and week, and criterion over `weeks` ISO weeks
    ending with `last` (default: last week), beside CSAT for the same agents and weeks, a response's week being
    that of its rated date or (window `solved`) of its ticket's solved date. Five queries whatever the size."""
    if window not in Window.values:
        raise ValidationFailed("Unknown calculation window.", errors={"window": "must be rated or solved"})
    date_field = "rated_at" if window == Window.RATED else "solved_at"
    labels = report_weeks(weeks=weeks, last=last)
    start, _ = week_bounds(labels[0])
    _, end = week_bounds(labels[-1])
    reviews = Review.objects.filter(status=ReviewStatus.DONE, week__in=labels)
    if team_id is not None:
        reviews = reviews.filter(team_id=team_id)
    groups = list(reviews.order_by().values("week", "agent_id", "team_id").annotate(n=Count("id"), total=Sum("score")))
    agent_ids = {g["agent_id"] for g in groups}
    csat = (
        survey_response_list(kind=SurveyKind.CSAT, start=start, end=end, window=window)
        .filter(agent_id__in=agent_ids)
        .annotate(wk=TruncWeek(date_field, tzinfo=timezone.get_default_timezone()))
        .order_by()
        .values("wk", "agent_id", "team_id")
        .annotate(n=Count("id"), good=Count("id", filter=Q(sentiment=Sentiment.GOOD)))
    )
    if team_id is not None:
        csat = csat.filter(team_id=team_id)
    csat_rows = list(csat) if agent_ids else []
    full = {u.pk: u.display_name for u in User.objects.filter(pk__in=agent_ids)}
    team_ids = {g["team_id"] for g in groups} | {c["team_id"] for c in csat_rows}
    teams = dict(Team.objects.filter(pk__in=[t for t in team_ids if t]).values_list("pk", "name"))

    by_week = {w: Figures(label=w) for w in labels}
    by_agent: dict[int, Figures] = {}
    by_team: dict[int | None, Figures] = {}
    # (agent or team, week) -> its slice; a row of the "by week" tables has every week, reviewed or not
    agent_week: dict[tuple[int, str], Figures] = {}
    team_week: dict[tuple[int | None, str], Figures] = {}
    for g in groups:
        if g["agent_id"] not in by_agent:
            by_agent[g["agent_id"]] = Figures(label=full.get(g["agent_id"], str(g["agent_id"])))
            agent_week.update({(g["agent_id"], w): Figures(label=w) for w in labels})
        if g["team_id"] not in by_team:
            by_team[g["team_id"]] = Figures(label=teams.get(g["team_id"], "—"))
            team_week.update({(g["team_id"], w): Figures(label=w) for w in labels})
        slices = (
            by_week[g["week"]],
            by_agent[g["agent_id"]],
            by_team[g["team_id"]],
            agent_week[(g["agent_id"], g["week"])],
            team_week[(g["team_id"], g["week"])],
        )
        for s in slices:
            s.reviews += g["n"]
            s.score_sum += g["total"] or 0
    for c in csat_rows:
        wk = week_label(c["wk"].date() if hasattr(c["wk"], "date") else c["wk"])
        slices_c = [by_agent[c["agent_id"]]]
        if wk in by_week:
            slices_c += [by_week[wk], agent_week[(c["agent_id"], wk)]]
        if c["team_id"] in by_team:
            slices_c.append(by_team[c["team_id"]])
            if wk in by_week:
                slices_c.append(team_week[(c["team_id"], wk)])
        for s in slices_c:
            s.csat_count += c["n"]
            s.csat_good += c["good"]

    scores = CriterionScore.objects.filter(review__in=reviews).order_by().values("review__week", "label")
    cells: dict[str, dict[str, tuple[Decimal, int]]] = {}
    for row in scores.annotate(n=Count("id"), total=Sum("percent")):
        cells.setdefault(row["label"], {})[row["review__week"]] = (row["total"], row["n"])
    criteria = [
        CriterionRow(
            label=label,
            cells=[_pct(*per_week[w]) if w in per_week else None for w in labels],
            answers=sum(n for _t, n in per_week.values()),
        )
        for label, per_week in sorted(cells.items())
    ]
    return QualityReport(
        weeks=labels,
        by_week=[by_week[w] for w in labels],
        by_agent=sorted(by_agent.values(), key=lambda f: f.label),
        by_team=sorted(by_team.values(), key=lambda f: f.label),
        by_criterion=criteria,
        by_agent_week=sorted(
            (WeeklyRow(label=f.label, weeks=[agent_week[(pk, w)] for w in labels]) for pk, f in by_agent.items()),
            key=lambda row: row.label,
        ),
        by_team_week=sorted(
            (WeeklyRow(label=f.label, weeks=[team_week[(pk, w)] for w in labels]) for pk, f in by_team.items()),
            key=lambda row: row.label,
        ),
        window=window,
    )
