"""Every write of the quality app: scorecards, sampling settings and reviewers, the weekly sample, scoring.

Keyword-only functions, one transaction each, one audit event per state change (the sample writes one per review
it assigns plus one for the run, in one statement). Refusals are DomainErrors the API and the pages show.
This module does not render pages or know the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.expressions import Window
from django.db.models.functions import Random, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.accounts.permissions import can
from supportloop.core.errors import Conflict, PermissionDenied, ValidationFailed
from supportloop.core.services import event_build, event_record, events_record_many
from supportloop.quality.choices import SCALE_RANGES, ReviewStatus, SampledBecause, Scale
from supportloop.quality.models import (
    Criterion,
    CriterionScore,
    QualitySettings,
    Review,
    Reviewer,
    SampleRun,
    Scorecard,
)
from supportloop.surveys.choices import Sentiment, SurveyKind
from supportloop.surveys.choices import Window as SurveyWindow
from supportloop.surveys.selectors import survey_response_list
from supportloop.tickets.choices import Status
from supportloop.tickets.models import Ticket

MAX_CRITERIA = 20
MAX_SAMPLE_SIZE = 50
MAX_COMMENT = 5000
ONE_DECIMAL = Decimal("0.1")


# --- arithmetic -----------------------------------------------------------------------------------------------


def criterion_percent(*, scale: str, value: int) -> Decimal:
    """One answer as a percent of its scale: pass 100, fail 0; on 1-5, 1 is 0 % and 5 is 100 % ((v-1)/4)."""
    low, high = SCALE_RANGES[Scale(scale)]
    return (Decimal(100) * (value - low) / (high - low)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def weighted_score(answers: Iterable[tuple[int, str, int]]) -> Decimal:
    """The review's total: the weighted mean of the answers' percents, from (weight, scale, value) triples,
    rounded half up to one decimal. Exact (Decimal) so 2/3 of the way is 66.7, not 66.66666."""
    total = Decimal(0)
    weights = 0
    for weight, scale, value in answers:
        low, high = SCALE_RANGES[Scale(scale)]
        total += Decimal(weight) * Decimal(100) * (value - low) / (high - low)
        weights += weight
    if not weights:
        raise ValidationFailed(_("The scorecard has no criteria."))
    return (total / weights).quantize(ONE_DECIMAL, ROUND_HALF_UP)


# --- weeks ----------------------------------------------------------------------------------------------------


def week_label(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_parse(week: str) -> date:
    """The Monday of an ISO week written "2026-W49"; ValidationFailed for anything else."""
    try:
        year_text, week_text = week.split("-W")
        return date.fromisocalendar(int(year_text), int(week_text), 1)
    except (ValueError, AttributeError):
        raise ValidationFailed(_("Give a week as YYYY-Www, e.g. 2026-W49."), errors={"week": _("not a week")}) from None


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of the ISO week in the workspace's time zone, as aware datetimes."""
    monday = week_parse(week)
    tz = timezone.get_default_timezone()
    start = datetime.combine(monday, time.min, tzinfo=tz)
    return start, datetime.combine(monday + timedelta(days=7), time.min, tzinfo=tz)


def previous_week(now: datetime | None = None) -> str:
    today = timezone.localdate(now or timezone.now())
    return week_label(today - timedelta(days=7))


# --- scorecards -----------------------------------------------------------------------------------------------


def _clean_criteria(criteria: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if not criteria:
        raise ValidationFailed(_("A scorecard needs at least one criterion."), errors={"criteria": _("empty")})
    if len(criteria) > MAX_CRITERIA:
        raise ValidationFailed(_("At most %(n)s criteria.") % {"n": MAX_CRITERIA}, errors={"criteria": _("too many")})
    cleaned = []
    seen: set[str] = set()
    for i, raw in enumerate(criteria):
        label = str(raw.get("label") or "").strip()
        scale = raw.get("scale") or Scale.ONE_TO_FIVE
        weight = raw.get("weight", 1)
        field = f"criteria.{i}"
        if not label or len(label) > 80:
            raise ValidationFailed(_("Each criterion needs a label of 1-80 characters."), errors={field: _("label")})
        if label.casefold() in seen:
            raise ValidationFailed(_("Two criteria have the same label."), errors={field: _("duplicate label")})
        if scale not in Scale.values:
            raise ValidationFailed(_("A criterion is scored pass/fail or 1-5."), errors={field: _("unknown scale")})
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 100:
            raise ValidationFailed(_("A weight is a whole number from 1 to 100."), errors={field: _("weight")})
        seen.add(label.casefold())
        cleaned.append({"label": label, "weight": weight, "scale": str(scale), "order": i})
    return cleaned


def _snapshot(scorecard: Scorecard) -> list[dict[str, Any]]:
    return [
        {"id": c.pk, "label": c.label, "weight": c.weight, "scale": c.scale, "order": c.order}
        for c in scorecard.criteria.order_by("order", "id")
    ]


def _activate(scorecard: Scorecard) -> None:
    Scorecard.objects.filter(active=True).exclude(pk=scorecard.pk).update(active=False, updated_at=timezone.now())


@transaction.atomic
def scorecard_create(*, name: str, criteria: Sequence[dict[str, Any]], actor: User, active: bool = False) -> Scorecard:
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed(_("A scorecard needs a name of 1-120 characters."), errors={"name": _("required")})
    if Scorecard.objects.filter(name=name).exists():
        raise Conflict(_("A scorecard with this name exists."), errors={"name": _("taken")})
    cleaned = _clean_criteria(criteria)
    if active:
        Scorecard.objects.filter(active=True).update(active=False, updated_at=timezone.now())
    scorecard = Scorecard.objects.create(name=name, active=active)
    Criterion.objects.bulk_create([Criterion(scorecard=scorecard, **c) for c in cleaned])
    event_record(actor=actor, verb="quality.scorecard_created", target=scorecard, changes={"criteria": [None, cleaned]})
    return scorecard


@transaction.atomic
def scorecard_update(
    *,
    scorecard: Scorecard,
    actor: User,
    name: str | None = None,
    active: bool | None = None,
    criteria: Sequence[dict[str, Any]] | None = None,
) -> Scorecard:
    """Rename, (de)activate or replace the criteria. Done reviews keep the criteria they were scored with (their
    own copy); reviews still waiting take the new criteria, since nobody has scored them yet."""
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    changes: dict[str, list[Any]] = {}
    if name is not None and name.strip() != scorecard.name:
        name = name.strip()
        if not name or len(name) > 120:
            raise ValidationFailed(_("A scorecard needs a name of 1-120 characters."), errors={"name": _("required")})
        if Scorecard.objects.filter(name=name).exclude(pk=scorecard.pk).exists():
            raise Conflict(_("A scorecard with this name exists."), errors={"name": _("taken")})
        changes["name"] = [scorecard.name, name]
        scorecard.name = name
    if active is not None and active != scorecard.active:
        if active:
            _activate(scorecard)
        changes["active"] = [scorecard.active, active]
        scorecard.active = active
    if criteria is not None:
        cleaned = _clean_criteria(criteria)
        before = [{k: c[k] for k in ("label", "weight", "scale", "order")} for c in _snapshot(scorecard)]
        if cleaned != before:
            scorecard.criteria.all().delete()
            Criterion.objects.bulk_create([Criterion(scorecard=scorecard, **c) for c in cleaned])
            Review.objects.filter(scorecard=scorecard, status=ReviewStatus.ASSIGNED).update(
                criteria=_snapshot(scorecard), updated_at=timezone.now()
            )
            changes["criteria"] = [before, cleaned]
    if not changes:
        return scorecard
    scorecard.updated_at = timezone.now()
    scorecard.save(update_fields=["name", "active", "updated_at"])
    event_record(actor=actor, verb="quality.scorecard_updated", target=scorecard, changes=changes)
    return scorecard


# --- settings and reviewers -----------------------------------------------------------------------------------


def quality_settings() -> QualitySettings:
    return QualitySettings.objects.filter(pk=1).first() or QualitySettings(pk=1)


@transaction.atomic
def quality_settings_update(
    *, actor: User, sample_size: int | None = None, reviewer_ids: Sequence[int] | None = None
) -> QualitySettings:
    """The number of random tickets per agent per week, and who reviews (leads or agents; never viewers or
    product managers, who do not work the queue)."""
    current = QualitySettings.objects.select_for_update().filter(pk=1).first() or QualitySettings(pk=1)
    changes: dict[str, list[Any]] = {}
    if sample_size is not None and sample_size != current.sample_size:
        if isinstance(sample_size, bool) or not 0 <= sample_size <= MAX_SAMPLE_SIZE:
            raise ValidationFailed(
                _("Pick 0 to %(n)s tickets per agent.") % {"n": MAX_SAMPLE_SIZE}, errors={"sample_size": _("range")}
            )
        changes["sample_size"] = [current.sample_size, sample_size]
        current.sample_size = sample_size
    if reviewer_ids is not None:
        wanted = sorted(set(reviewer_ids))
        found = list(
            User.objects.filter(pk__in=wanted, is_active=True, role__in=[Role.ADMIN, Role.LEAD, Role.AGENT])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if found != wanted:
            raise ValidationFailed(
                _("Reviewers are active leads, admins or agents."),
                errors={"reviewer_ids": _("unknown: %(ids)s") % {"ids": sorted(set(wanted) - set(found))}},
            )
        before = sorted(Reviewer.objects.values_list("user_id", flat=True))
        if before != wanted:
            Reviewer.objects.exclude(user_id__in=wanted).delete()
            Reviewer.objects.bulk_create([Reviewer(user_id=pk) for pk in wanted if pk not in before])
            changes["reviewers"] = [before, wanted]
    if not changes:
        return current
    current.updated_at = timezone.now()
    current.save()
    event_record(actor=actor, verb="quality.settings_updated", target=current, changes=changes)
    return current


def reviewer_pool() -> list[int]:
    """The chosen reviewers who are still active; without any, the active leads (then admins)."""
    chosen = list(Reviewer.objects.filter(user__is_active=True).order_by("user_id").values_list("user_id", flat=True))
    if chosen:
        return chosen
    for role in (Role.LEAD, Role.ADMIN):
        leads = list(User.objects.filter(role=role, is_active=True).order_by("pk").values_list("pk", flat=True))
        if leads:
            return leads
    return []


# --- the weekly sample ----------------------------------------------------------------------------------------


def _round_robin(picks: list[tuple[int, int, int | None, str]], pool: list[int]) -> list[tuple[Any, ...]]:
    """Hand the picks (ticket, agent, team, why) to reviewers in turn, skipping the agent themself; a pick whose
    only possible reviewer is its agent is left out (returned with reviewer None)."""
    out = []
    turn = 0
    for ticket_id, agent_id, team_id, why in picks:
        reviewer = None
        for step in range(len(pool)):
            candidate = pool[(turn + step) % len(pool)]
            if candidate != agent_id:
                reviewer = candidate
                turn = turn + step + 1
                break
        out.append((ticket_id, agent_id, team_id, why, reviewer))
    return out


def sample_week(*, week: str, actor: User | None = None, now: datetime | None = None) -> SampleRun:
    """Sample the solved tickets of one ISO week for review, once: every ticket rated bad on CSAT that week, then
    `sample_size` random solved tickets per agent (assignee) among the rest, all handed round-robin to the
    reviewers (never the agent themself), who get an in-app notification and a mail.

    Idempotent: the SampleRun row is unique per week, so a second run (the job started twice, a lead pressing the
    button again) returns the first run's row and writes nothing. Each ticket is reviewed at most once per
    scorecard (a database constraint), so a ticket sampled one week is not sampled again.

    Set-based: one query picks the random tickets (ROW_NUMBER() over a random order, per assignee, filtered in
    SQL) from one week's window of the partial index on `solved_at`; one reads the bad CSATs; two inserts."""
    start, end = week_bounds(week)
    now = now or timezone.now()
    existing = SampleRun.objects.filter(week=week).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _sample(week=week, start=start, end=end, actor=actor, now=now)
    except IntegrityError:
        # Another run of the same week committed first: its rows stand, this one wrote nothing.
        found = SampleRun.objects.filter(week=week).first()
        if found is None:
            raise
        return found


def _sample(*, week: str, start: datetime, end: datetime, actor: User | None, now: datetime) -> SampleRun:
    scorecard = Scorecard.objects.filter(active=True).first()
    run = SampleRun.objects.create(week=week, scorecard=scorecard, created_at=now)
    if scorecard is None:
        event_record(actor=actor, verb="quality.sample_run", target=run, changes={"reviews": [0, 0]})
        return run
    size = quality_settings().sample_size
    reviewed = Review.objects.filter(ticket=OuterRef("pk"), scorecard=scorecard)

    bad = (
        survey_response_list(kind=SurveyKind.CSAT, start=start, end=end, window=SurveyWindow.RATED)
        .filter(sentiment=Sentiment.BAD, ticket__isnull=False)
        .exclude(Exists(Review.objects.filter(ticket=OuterRef("ticket_id"), scorecard=scorecard)))
        .order_by()
        .values_list("ticket_id", "agent_id", "ticket__assignee_id", "ticket__team_id")
    )
    picks: list[tuple[int, int, int | None, str]] = []
    seen: set[int] = set()
    for ticket_id, agent_id, assignee_id, team_id in bad:
        agent = agent_id or assignee_id
        if agent and ticket_id not in seen:
            seen.add(ticket_id)
            picks.append((ticket_id, agent, team_id, SampledBecause.BAD_CSAT))
    bad_count = len(picks)

    if size:
        solved = (
            Ticket.objects.filter(
                solved_at__gte=start,
                solved_at__lt=end,
                solved_at__isnull=False,
                status__in=[Status.SOLVED, Status.CLOSED],
                assignee__isnull=False,
            )
            .exclude(pk__in=seen)
            .exclude(Exists(reviewed))
            .annotate(rank=Window(RowNumber(), partition_by=[F("assignee_id")], order_by=Random().asc()))
            .filter(rank__lte=size)
            .order_by()
            .values_list("pk", "assignee_id", "team_id")
        )
        random_picks = sorted(solved, key=lambda row: (row[1], row[0]))
        picks += [(pk, agent, team, SampledBecause.RANDOM) for pk, agent, team in random_picks]

    assigned = _round_robin(picks, reviewer_pool())
    criteria = _snapshot(scorecard)
    reviews = Review.objects.bulk_create(
        [
            Review(
                ticket_id=ticket_id,
                agent_id=agent_id,
                team_id=team_id,
                reviewer_id=reviewer_id,
                scorecard=scorecard,
                criteria=criteria,
                week=week,
                sampled_because=why,
                created_at=now,
                updated_at=now,
            )
            for ticket_id, agent_id, team_id, why, reviewer_id in assigned
            if reviewer_id is not None
        ]
    )
    run.random_count = sum(1 for r in reviews if r.sampled_because == SampledBecause.RANDOM)
    run.bad_csat_count = sum(1 for r in reviews if r.sampled_because == SampledBecause.BAD_CSAT)
    run.unassigned_count = len(assigned) - len(reviews)
    run.save(update_fields=["random_count", "bad_csat_count", "unassigned_count"])
    events_record_many(
        [
            event_build(
                actor=actor,
                verb="quality.review_assigned",
                target=r,
                changes={"reviewer": [None, r.reviewer_id], "sampled_because": [None, r.sampled_because]},
            )
            for r in reviews
        ]
        + [
            event_build(
                actor=actor,
                verb="quality.sample_run",
                target=run,
                changes={
                    "random": [0, run.random_count],
                    "bad_csat": [0, run.bad_csat_count],
                    "left_out": [0, run.unassigned_count],
                    "bad_csat_found": [0, bad_count],
                },
            )
        ]
    )
    _notify_reviewers(reviews, week=week)
    return run


def _notify_reviewers(reviews: list[Review], *, week: str) -> None:
    """One in-app notification per reviewer (the automation app's Notification, shown at /notifications/), and a
    mail after commit."""
    from supportloop.automation.models import Notification
    from supportloop.automation.services.notifications import notifications_changed_on_commit

    counts: dict[int, int] = {}
    for r in reviews:
        counts[r.reviewer_id] = counts.get(r.reviewer_id, 0) + 1
    if not counts:
        return
    texts = {
        pk: _("%(n)s conversations to review for week %(week)s (Reviews).") % {"n": n, "week": week}
        for pk, n in counts.items()
    }
    Notification.objects.bulk_create(
        [Notification(user_id=pk, text=text, source="quality") for pk, text in texts.items()]
    )
    notifications_changed_on_commit(counts)
    addresses = dict(User.objects.filter(pk__in=counts).exclude(email="").values_list("pk", "email"))
    if addresses:
        transaction.on_commit(lambda: _mail(addresses, texts))


def _mail(addresses: dict[int, str], texts: dict[int, str]) -> None:
    import logging

    from django.conf import settings
    from django.core.mail import EmailMessage

    for pk, address in addresses.items():
        try:
            EmailMessage(
                subject=_("Conversations to review"),
                body=texts[pk],
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[address],
            ).send()
        except Exception:  # logged: the in-app notification is the record; mail is best effort
            logging.getLogger("supportloop.quality").exception("review notice mail to %s failed", address)


# --- scoring --------------------------------------------------------------------------------------------------


def review_may_score(*, review: Review, user: User) -> bool:
    return review.reviewer_id == user.pk or can(user, "quality.manage")


@transaction.atomic
def review_score(*, review: Review, values: dict[str, Any], comment: str, actor: User) -> Review:
    """Score every criterion of the review (keyed by label, as the review's copy of the scorecard names them) and
    mark it done. The assigned reviewer or a lead may; the agent reviewed never may. Editing a done review is
    allowed and audited as `quality.review_edited` with the scores before and after."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.agent_id == actor.pk:
        raise PermissionDenied(_("Nobody reviews their own conversation (quality.manage)."))
    if not review_may_score(review=review, user=actor):
        raise PermissionDenied(_("Only the assigned reviewer or a lead may score this review (quality.manage)."))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT or "\x00" in comment:
        raise ValidationFailed(_("The comment is too long."), errors={"comment": _("too long")})
    errors: dict[str, str] = {}
    labels = [c["label"] for c in review.criteria]
    unknown = sorted(set(values) - set(labels))
    for label in unknown:
        errors[label[:80]] = _("not a criterion of this review")
    answers = []
    for c in review.criteria:
        raw = values.get(c["label"])
        if raw is None or raw == "":
            errors[c["label"]] = _("answer every criterion")
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            errors[c["label"]] = _("not a number")
            continue
        if isinstance(raw, bool) or (isinstance(raw, float) and raw != value):
            errors[c["label"]] = _("not a whole number")
            continue
        low, high = SCALE_RANGES[Scale(c["scale"])]
        if not low <= value <= high:
            errors[c["label"]] = (
                _("pass (1) or fail (0)")
                if c["scale"] == Scale.PASS_FAIL
                else _("from %(low)s to %(high)s") % {"low": low, "high": high}
            )
            continue
        answers.append((c, value))
    if errors:
        raise ValidationFailed(_("Some scores are missing or out of range."), errors=errors)
    before_scores = {s.label: s.value for s in review.scores.all()}
    total = weighted_score((c["weight"], c["scale"], v) for c, v in answers)
    now = timezone.now()
    was_done = review.status == ReviewStatus.DONE
    before = {"score": str(review.score) if review.score is not None else None, "comment": review.comment}
    live = set(Criterion.objects.filter(pk__in=[c.get("id") for c in review.criteria]).values_list("pk", flat=True))
    review.scores.all().delete()
    CriterionScore.objects.bulk_create(
        [
            CriterionScore(
                review=review,
                criterion_id=c.get("id") if c.get("id") in live else None,
                label=c["label"],
                weight=c["weight"],
                scale=c["scale"],
                order=c["order"],
                value=v,
                percent=criterion_percent(scale=c["scale"], value=v),
            )
            for c, v in answers
        ]
    )
    review.score = total
    review.comment = comment
    review.status = ReviewStatus.DONE
    review.done_at = review.done_at or now
    review.updated_at = now
    review.save(update_fields=["score", "comment", "status", "done_at", "updated_at"])
    after_scores = {c["label"]: v for c, v in answers}
    event_record(
        actor=actor,
        verb="quality.review_edited" if was_done else "quality.review_done",
        target=review,
        changes={
            "status": [ReviewStatus.DONE if was_done else ReviewStatus.ASSIGNED, ReviewStatus.DONE],
            "score": [before["score"], str(total)],
            "scores": [before_scores or None, after_scores],
            "comment": [before["comment"], comment],
        },
    )
    return review


@transaction.atomic
def review_reassign(*, review: Review, reviewer: User, actor: User) -> Review:
    """A lead hands a waiting review to another reviewer (never the agent reviewed)."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.status != ReviewStatus.ASSIGNED:
        raise Conflict(_("This review is done already."))
    if reviewer.pk == review.agent_id:
        raise ValidationFailed(_("Nobody reviews their own conversation."), errors={"reviewer": _("is the agent")})
    if not reviewer.is_active or reviewer.role not in (Role.ADMIN, Role.LEAD, Role.AGENT):
        raise ValidationFailed(_("Reviewers are active leads, admins or agents."), errors={"reviewer": _("role")})
    if reviewer.pk == review.reviewer_id:
        return review
    before = review.reviewer_id
    review.reviewer = reviewer
    review.updated_at = timezone.now()
    review.save(update_fields=["reviewer", "updated_at"])
    event_record(
        actor=actor, verb="quality.review_reassigned", target=review, changes={"reviewer": [before, reviewer.pk]}
    )
    return review
