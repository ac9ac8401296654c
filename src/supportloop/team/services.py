"""Every write of the team app: rotation members, time off, the schedule and its edits and swaps, calendar
feed tokens, shift reminders and the forecast's planned events. One transaction and one audit event each;
mail goes after commit (tasks) or outside any transaction (reminders)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import ExtractMonth, ExtractYear
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportloop.accounts.models import User
from supportloop.accounts.permissions import can
from supportloop.core.errors import PermissionDenied, ValidationFailed
from supportloop.core.jobs import job_enqueue
from supportloop.core.services import event_build, event_record, events_record_many, field_changes
from supportloop.team.choices import ReminderKind
from supportloop.team.models import (
    CalendarFeed,
    PlannedEvent,
    RotationMember,
    Shift,
    ShiftPattern,
    ShiftReminder,
    ShiftSwap,
    SwapRequest,
    TimeOff,
)
from supportloop.team.planner import Person, Slot, SlotPlan, days_between, plan_slots

logger = logging.getLogger("supportloop.team")

SHIFT_START = time(9, 0)  # local hours of the default shift pattern ("Day"), made when a team has none
SHIFT_END = time(17, 0)
MAX_PERIOD_DAYS = 366
MORNING_REMINDER_HOUR = 7  # local hour from which the morning-of reminder goes


def workspace_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def pattern_tz(pattern: ShiftPattern) -> ZoneInfo:
    return ZoneInfo(pattern.time_zone) if pattern.time_zone else workspace_tz()


def shift_bounds(day: date, pattern: ShiftPattern) -> tuple[datetime, datetime]:
    """The shift's UTC start and end: the pattern's local times on `day` in its time zone (an end at or before
    the start is on the next day). Daylight-saving days get their real length."""
    tz = pattern_tz(pattern)
    starts = datetime.combine(day, pattern.start_time, tzinfo=tz)
    end_day = day if pattern.end_time > pattern.start_time else day + timedelta(days=1)
    ends = datetime.combine(end_day, pattern.end_time, tzinfo=tz)
    return starts.astimezone(UTC), ends.astimezone(UTC)


def pattern_hours(pattern: ShiftPattern) -> float:
    start = datetime.combine(date(2000, 1, 3), pattern.start_time)
    end = datetime.combine(date(2000, 1, 3), pattern.end_time)
    if end <= start:
        end += timedelta(days=1)
    return (end - start).total_seconds() / 3600


# --- shift patterns (the team's shifts of a day) -------------------------------------------------------------


@transaction.atomic
def shift_pattern_save(
    *,
    actor: User | None,
    name: str,
    start_time: time,
    end_time: time,
    pattern: ShiftPattern | None = None,
    time_zone: str = "",
    weekdays: list[int] | None = None,
    position: int = 0,
    active: bool = True,
) -> ShiftPattern:
    """Add a shift pattern (`pattern` None) or change one. Existing shifts keep their times; shifts planned
    afterwards use the new ones."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed(_("Give the shift a name (at most 60 characters)."), errors={"name": _("required")})
    if start_time.tzinfo is not None or end_time.tzinfo is not None:
        raise ValidationFailed(
            _("Give the shift's times without a UTC offset: the time zone field says where they are."),
            errors={"start_time" if start_time.tzinfo is not None else "end_time": _("a local time, HH:MM")},
        )
    if start_time == end_time:
        raise ValidationFailed(_("A shift cannot start and end at the same time."), errors={"end_time": _("same")})
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ValueError, KeyError, ZoneInfoNotFoundError):
            raise ValidationFailed(_("Unknown time zone."), errors={"time_zone": _("unknown")}) from None
    clash = ShiftPattern.objects.filter(name__iexact=name)
    if pattern is not None:
        clash = clash.exclude(pk=pattern.pk)
    if clash.exists():
        raise ValidationFailed(_("A shift with this name exists."), errors={"name": _("taken")})
    values: dict[str, object] = {
        "name": name,
        "start_time": start_time,
        "end_time": end_time,
        "time_zone": time_zone,
        "weekdays": _clean_weekdays(weekdays if weekdays is not None else list(range(7))),
        "position": max(0, min(int(position), 1000)),
        "active": active,
    }
    if pattern is None:
        pattern = ShiftPattern.objects.create(**values)
        event_record(
            actor=actor,
            verb="team.shift_pattern_added",
            target=pattern,
            changes={k: [None, _clock(v)] for k, v in values.items()},
        )
        return pattern
    changes = {k: [_clock(v) for v in pair] for k, pair in field_changes(pattern, values).items()}
    pattern.save()
    event_record(actor=actor, verb="team.shift_pattern_updated", target=pattern, changes=changes)
    return pattern


def _clock(value: object) -> object:
    return value.strftime("%H:%M") if isinstance(value, time) else value  # JSON for the audit trail


def _patterns_active(*, actor: User | None) -> list[ShiftPattern]:
    """The active patterns; a team that never set any gets the default "Day" shift (09:00-17:00 local)."""
    patterns = list(ShiftPattern.objects.filter(active=True))
    if patterns or ShiftPattern.objects.exists():
        return patterns
    return [shift_pattern_save(actor=actor, name="Day", start_time=SHIFT_START, end_time=SHIFT_END)]


# --- rotation members and time off ---------------------------------------------------------------------------


def _clean_weekdays(weekdays: list[int]) -> list[int]:
    if not isinstance(weekdays, list) or any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays):
        raise ValidationFailed(_("Weekdays are numbers from 0 (Monday) to 6 (Sunday)."), errors={"weekdays": "0..6"})
    if not weekdays:
        raise ValidationFailed(_("Choose at least one weekday."), errors={"weekdays": _("required")})
    return sorted(set(weekdays))


@transaction.atomic
def rotation_member_set(
    *,
    user: User,
    actor: User | None,
    weekdays: list[int] | None = None,
    max_per_month: int | None = None,
    active: bool | None = None,
    morning_reminder: bool | None = None,
) -> RotationMember:
    """Put a person in the rotation (any role) or change their constraints."""
    if not user.is_active:
        raise ValidationFailed(_("A deactivated user cannot be in the rotation."), errors={"user": _("inactive")})
    member, created = RotationMember.objects.select_for_update().get_or_create(user=user)
    values: dict[str, object] = {}
    if weekdays is not None:
        values["weekdays"] = _clean_weekdays(weekdays)
    if max_per_month is not None:
        if not 0 <= max_per_month <= 31:
            raise ValidationFailed(_("The monthly maximum is 0 (none) to 31."), errors={"max_per_month": "0..31"})
        values["max_per_month"] = max_per_month
    if active is not None:
        values["active"] = active
    if morning_reminder is not None:
        values["morning_reminder"] = morning_reminder
    changes = field_changes(member, values)
    member.save()
    event_record(
        actor=actor,
        verb="team.member_added" if created else "team.member_updated",
        target=member,
        changes=changes,
    )
    return member


@transaction.atomic
def time_off_add(*, user: User, start: date, end: date, actor: User | None, note: str = "") -> TimeOff:
    if end < start:
        raise ValidationFailed(_("The last day is before the first."), errors={"end": _("before the first day")})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed(_("Time off is at most a year at once."), errors={"end": _("too far")})
    off = TimeOff.objects.create(user=user, start=start, end=end, note=note[:200])
    event_record(
        actor=actor, verb="team.time_off_added", target=off, changes={"start": [None, start], "end": [None, end]}
    )
    return off


# --- the schedule ----------------------------------------------------------------------------------------------


def _people() -> list[Person]:
    members = list(RotationMember.objects.filter(active=True, user__is_active=True).select_related("user"))
    offs: dict[int, list[tuple[date, date]]] = {}
    for off in TimeOff.objects.filter(user_id__in=[m.user_id for m in members]):
        offs.setdefault(off.user_id, []).append((off.start, off.end))
    return [
        Person(
            user_id=m.user_id,
            weekdays=frozenset(int(d) for d in m.weekdays),
            max_per_month=m.max_per_month,
            time_off=tuple(offs.get(m.user_id, [])),
        )
        for m in members
    ]


@transaction.atomic
def schedule_generate(*, start: date, end: date, seed: int, actor: User | None, replace: bool = False) -> SlotPlan:
    """Fill the shifts from `start` to `end` that nobody holds yet, fairly (team.planner): one per active shift
    pattern on each day it runs. With `replace`, the period's shifts are removed first and every one is planned
    again. Shifts elsewhere in the months touched count towards each person's monthly maximum; a person never
    gets two shifts on one day. Returns the plan (assignments made, shifts left as gaps)."""
    if end < start:
        raise ValidationFailed(_("The last day is before the first."), errors={"end": _("before the first day")})
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed(_("Plan at most a year at once."), errors={"end": _("too far")})
    patterns = {p.pk: p for p in _patterns_active(actor=actor)}
    period = Shift.objects.select_for_update().filter(date__gte=start, date__lte=end)
    removed: list[Shift] = []
    if replace:
        removed = list(period)
        period.delete()
    kept = list(Shift.objects.filter(date__gte=start, date__lte=end).values_list("date", "pattern_id", "user_id"))
    taken = {(d, p) for d, p, _u in kept}
    busy: dict[int, set[date]] = {}
    for d, _p, u in kept:
        busy.setdefault(u, set()).add(d)
    slots = [
        Slot(day=day, pattern_id=p.pk, hours=pattern_hours(p))
        for day in days_between(start, end)
        for p in patterns.values()
        if day.weekday() in p.weekdays and (day, p.pk) not in taken
    ]
    month_start = start.replace(day=1)
    month_end = (end.replace(day=28) + timedelta(days=4)).replace(day=1)
    counts = (
        Shift.objects.filter(date__gte=month_start, date__lt=month_end)
        .annotate(y=ExtractYear("date"), m=ExtractMonth("date"))
        .values("user_id", "y", "m")
        .annotate(n=Count("id"))
    )
    month_counts = {(row["user_id"], row["y"], row["m"]): row["n"] for row in counts}
    plan = plan_slots(people=_people(), slots=slots, seed=seed, month_counts=month_counts, busy=busy)
    shifts = []
    for slot, user_id in plan.assignments.items():
        starts_at, ends_at = shift_bounds(slot.day, patterns[slot.pattern_id])
        shifts.append(
            Shift(date=slot.day, pattern_id=slot.pattern_id, user_id=user_id, starts_at=starts_at, ends_at=ends_at)
        )
    Shift.objects.bulk_create(shifts)
    made = {(slot.day, slot.pattern_id) for slot in plan.assignments}
    created = [
        s
        for s in Shift.objects.filter(date__gte=start, date__lte=end).select_related("user")
        if (s.date, s.pattern_id) in made
    ]
    events = [
        event_build(actor=actor, verb="team.shift_removed", target=s, changes={"user": [s.user_id, None]})
        for s in removed
    ]
    events += [
        event_build(
            actor=actor,
            verb="team.shift_planned",
            target=s,
            changes={
                "user": [None, s.user_id],
                "date": [None, s.date],
                "pattern": [None, s.pattern_id],
                "seed": [None, seed],
            },
        )
        for s in created
    ]
    events_record_many(events)
    return plan


def _no_second_shift(*, user: User, day: date, allowed: set[int]) -> None:
    if Shift.objects.filter(user=user, date=day).exclude(pk__in=allowed).exists():
        raise ValidationFailed(
            _("%(name)s already has a shift on %(date)s.") % {"name": user, "date": day},
            errors={"user": _("already on duty that day")},
        )


@transaction.atomic
def shift_set(*, day: date, user: User, actor: User | None, pattern: ShiftPattern | None = None) -> Shift:
    """The lead's edit: put `user` on duty on `day` in `pattern` (default: the first active one), as a new
    shift or the shift given to someone else."""
    if not RotationMember.objects.filter(user=user, active=True).exists():
        raise ValidationFailed(_("This person is not in the rotation."), errors={"user": _("not in the rotation")})
    if pattern is None:
        patterns = _patterns_active(actor=actor)
        if not patterns:
            raise ValidationFailed(_("No active shift pattern."), errors={"pattern": _("required")})
        pattern = patterns[0]
    shift = Shift.objects.select_for_update().filter(date=day, pattern=pattern).first()
    _no_second_shift(user=user, day=day, allowed={shift.pk} if shift else set())
    if shift is None:
        starts_at, ends_at = shift_bounds(day, pattern)
        shift = Shift.objects.create(date=day, pattern=pattern, user=user, starts_at=starts_at, ends_at=ends_at)
        event_record(
            actor=actor,
            verb="team.shift_planned",
            target=shift,
            changes={"user": [None, user.pk], "pattern": [None, pattern.pk]},
        )
        return shift
    before = shift.user_id
    if before == user.pk:
        return shift
    shift.user = user
    shift.save(update_fields=["user"])
    event_record(actor=actor, verb="team.shift_reassigned", target=shift, changes={"user": [before, user.pk]})
    transaction.on_commit(
        partial(job_enqueue, "team.shift_change_notice", shift_id=shift.pk, user_ids=[before, user.pk])
    )
    return shift


@transaction.atomic
def shift_remove(*, shift: Shift, actor: User | None) -> None:
    event_record(actor=actor, verb="team.shift_removed", target=shift, changes={"user": [shift.user_id, None]})
    shift.delete()


@dataclass(frozen=True)
class SwapResult:
    shift: Shift
    other_shift: Shift | None


def _hand_over(*, shift: Shift, giver: User, to_user: User, other: Shift | None, actor: User) -> None:
    """Move `shift` from `giver` to `to_user` (and `other` back): a ShiftSwap row and an event per hand-over,
    both people told by mail after commit. Callers hold the row locks."""
    pairs = [(shift, giver, to_user)] + ([(other, to_user, giver)] if other is not None else [])
    for s, frm, to in pairs:
        _no_second_shift(user=to, day=s.date, allowed={p.pk for p, _f, _t in pairs})
        s.swapped_from = frm
        s.user = to
        s.save(update_fields=["user", "swapped_from"])
        ShiftSwap.objects.create(shift=s, from_user=frm, to_user=to, actor=actor)
        event_record(
            actor=actor, verb="team.shift_swapped", target=s, changes={"user": [frm.pk, to.pk], "date": [None, s.date]}
        )
        transaction.on_commit(partial(job_enqueue, "team.shift_change_notice", shift_id=s.pk, user_ids=[frm.pk, to.pk]))


def _check_taker(to_user: User, giver: User) -> None:
    if to_user.pk == giver.pk:
        raise ValidationFailed(_("This shift is already theirs."), errors={"to_user": _("same person")})
    if not to_user.is_active or not RotationMember.objects.filter(user=to_user, active=True).exists():
        raise ValidationFailed(_("This person is not in the rotation."), errors={"to_user": _("not in the rotation")})


@transaction.atomic
def shift_swap(*, shift: Shift, to_user: User, actor: User, other_shift: Shift | None = None) -> SwapResult:
    """The lead's edit of a swap: hand `shift` to `to_user` at once; with `other_shift` (one of `to_user`'s), the
    two people exchange days. Only leads (rotation.manage): a person on the shift proposes (`swap_propose`) and
    the other accepts. Each hand-over is a ShiftSwap row and an audit event; both people are told by mail."""
    if not can(actor, "rotation.manage"):
        raise PermissionDenied(
            _("Only a lead may move a shift directly (rotation.manage); propose a swap to the other person.")
        )
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    giver = shift.user
    _check_taker(to_user, giver)
    other = None
    if other_shift is not None:
        other = Shift.objects.select_for_update().get(pk=other_shift.pk)
        if other.user_id != to_user.pk:
            raise ValidationFailed(
                _("The other shift is not theirs."), errors={"other_shift": _("belongs to someone else")}
            )
    _hand_over(shift=shift, giver=giver, to_user=to_user, other=other, actor=actor)
    SwapRequest.objects.filter(shift__in=[x for x in (shift, other) if x], status=SwapRequest.Status.PROPOSED).update(
        status=SwapRequest.Status.WITHDRAWN, decided_at=timezone.now()
    )
    return SwapResult(shift=shift, other_shift=other)


@transaction.atomic
def swap_propose(
    *, shift: Shift, to_user: User, actor: User, other_shift: Shift | None = None, note: str = ""
) -> SwapRequest:
    """The person on `shift` asks `to_user` to take it over (or, with `other_shift`, one of `to_user`'s, to
    exchange). Nothing moves until `to_user` accepts. One open request per shift; past shifts cannot be swapped.
    `to_user` is told by mail."""
    shift = Shift.objects.select_for_update().select_related("user").get(pk=shift.pk)
    if actor.pk != shift.user_id:
        raise PermissionDenied(_("Only the person on this shift may propose a swap."))
    if shift.ends_at <= timezone.now():
        raise ValidationFailed(_("This shift is over."), errors={"shift": _("in the past")})
    _check_taker(to_user, shift.user)
    other = None
    if other_shift is not None:
        other = Shift.objects.select_for_update().get(pk=other_shift.pk)
        if other.user_id != to_user.pk:
            raise ValidationFailed(
                _("The other shift is not theirs."), errors={"other_shift": _("belongs to someone else")}
            )
        if other.ends_at <= timezone.now():
            raise ValidationFailed(_("The other shift is over."), errors={"other_shift": _("in the past")})
    allowed = {shift.pk} | ({other.pk} if other else set())
    _no_second_shift(user=to_user, day=shift.date, allowed=allowed)
    if other is not None:
        _no_second_shift(user=actor, day=other.date, allowed=allowed)
    if SwapRequest.objects.filter(shift=shift, status=SwapRequest.Status.PROPOSED).exists():
        raise ValidationFailed(
            _("A swap of this shift is already waiting for an answer."), errors={"shift": _("already proposed")}
        )
    request = SwapRequest.objects.create(
        shift=shift, other_shift=other, from_user=actor, to_user=to_user, note=(note or "")[:200]
    )
    event_record(
        actor=actor,
        verb="team.swap_proposed",
        target=request,
        changes={"to_user": [None, to_user.pk], "shift": [None, shift.pk], "other_shift": [None, other and other.pk]},
    )
    transaction.on_commit(partial(job_enqueue, "team.swap_notice", request_id=request.pk, user_ids=[to_user.pk]))
    return request


def _open_request(request: SwapRequest) -> SwapRequest:
    locked = SwapRequest.objects.select_for_update().select_related("from_user", "to_user").get(pk=request.pk)
    if locked.status != SwapRequest.Status.PROPOSED:
        raise ValidationFailed(
            _("This swap was already answered (%(status)s).") % {"status": locked.get_status_display()},
            errors={"status": locked.status},
        )
    return locked


@transaction.atomic
def swap_accept(*, request: SwapRequest, actor: User) -> SwapRequest:
    """`to_user` takes the shift (and gives theirs back, for an exchange): the shifts move, both are told."""
    request = _open_request(request)
    if actor.pk != request.to_user_id:
        raise PermissionDenied(_("Only the person asked may accept this swap."))
    shift = Shift.objects.select_for_update().get(pk=request.shift_id)
    other = Shift.objects.select_for_update().get(pk=request.other_shift_id) if request.other_shift_id else None
    if shift.user_id != request.from_user_id or (other is not None and other.user_id != request.to_user_id):
        raise ValidationFailed(
            _("The shifts changed since this swap was proposed; ask again."), errors={"shift": _("changed")}
        )
    _check_taker(request.to_user, request.from_user)
    _hand_over(shift=shift, giver=request.from_user, to_user=request.to_user, other=other, actor=actor)
    request.status = SwapRequest.Status.ACCEPTED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    event_record(actor=actor, verb="team.swap_accepted", target=request, changes={"status": ["proposed", "accepted"]})
    transaction.on_commit(
        partial(job_enqueue, "team.swap_notice", request_id=request.pk, user_ids=[request.from_user_id, actor.pk])
    )
    return request


@transaction.atomic
def swap_decline(*, request: SwapRequest, actor: User) -> SwapRequest:
    """The person asked declines, or the proposer withdraws; nothing moves, both are told."""
    request = _open_request(request)
    if actor.pk == request.to_user_id:
        status = SwapRequest.Status.DECLINED
    elif actor.pk == request.from_user_id:
        status = SwapRequest.Status.WITHDRAWN
    else:
        raise PermissionDenied(_("Only the two people of this swap may decline it."))
    request.status = status
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    event_record(actor=actor, verb=f"team.swap_{status}", target=request, changes={"status": ["proposed", status]})
    transaction.on_commit(
        partial(
            job_enqueue,
            "team.swap_notice",
            request_id=request.pk,
            user_ids=[request.from_user_id, request.to_user_id],
        )
    )
    return request


def swap_notice_send(*, request_id: int, user_ids: list[int]) -> int:
    """Tell people (each in their language) where a swap request stands. Returns mails sent."""
    request = (
        SwapRequest.objects.select_related("shift__pattern", "other_shift", "from_user", "to_user")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        return 0
    sent = 0
    for user in User.objects.filter(pk__in=user_ids, is_active=True).exclude(email=""):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            values = {
                "date": request.shift.date,
                "shift": request.shift.pattern.name,
                "from": request.from_user,
                "to": request.to_user,
                "link": settings.SITE_URL.rstrip("/") + reverse("team:rotation"),
            }
            if request.status == SwapRequest.Status.PROPOSED:
                subject = _("%(from)s asks you to take their support shift on %(date)s") % values
                body = (
                    _(
                        "%(from)s proposes that you take their %(shift)s support shift on %(date)s.\n\n"
                        "Accept or decline on the rotation page: %(link)s\n"
                    )
                    % values
                )
            elif request.status == SwapRequest.Status.ACCEPTED:
                subject = _("Swap accepted: %(to)s takes the shift on %(date)s") % values
                body = (
                    _("%(to)s accepted the swap of the %(shift)s shift on %(date)s.\n\nThe rotation: %(link)s\n")
                    % values
                )
            else:
                subject = _("Swap not made: the shift on %(date)s stays with %(from)s") % values
                body = _("The swap of the %(shift)s shift on %(date)s was %(status)s.\n\nThe rotation: %(link)s\n") % {
                    **values,
                    "status": request.get_status_display(),
                }
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]).send()
        sent += 1
    return sent


def duty_link() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("team:duty")


def shift_change_notice_send(*, shift_id: int, user_ids: list[int]) -> int:
    """Tell each person (in their language) who is now on duty on the shift's day. Returns mails sent."""
    shift = Shift.objects.select_related("user").filter(pk=shift_id).first()
    if shift is None:
        return 0
    sent = 0
    for user in User.objects.filter(pk__in=user_ids, is_active=True).exclude(email=""):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("Support duty on %(date)s: %(name)s") % {"date": shift.date, "name": shift.user}
            body = _(
                "The support duty on %(date)s is now %(name)s's (swapped or changed by the lead).\n\n"
                "The queue to work: %(link)s\n"
            ) % {"date": shift.date, "name": shift.user, "link": duty_link()}
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]).send()
        sent += 1
    return sent


# --- calendar feeds --------------------------------------------------------------------------------------------


def _scope(user: User | None) -> str:
    return "team" if user is None else f"user:{user.pk}"


@transaction.atomic
def calendar_feed_get_or_create(*, user: User | None, actor: User | None) -> CalendarFeed:
    """The feed of `user` (None: the team's), with a token made on first use."""
    feed = CalendarFeed.objects.filter(scope=_scope(user)).first()
    if feed is not None:
        return feed
    feed = CalendarFeed.objects.create(scope=_scope(user), user=user, token=secrets.token_urlsafe(32))
    event_record(actor=actor, verb="team.calendar_feed_created", target=feed)
    return feed


@transaction.atomic
def calendar_feed_rotate(*, user: User | None, actor: User | None) -> CalendarFeed:
    """A new secret token: the old URL stops working at once."""
    feed = calendar_feed_get_or_create(user=user, actor=actor)
    feed.token = secrets.token_urlsafe(32)
    feed.rotated_at = timezone.now()
    feed.save(update_fields=["token", "rotated_at"])
    event_record(actor=actor, verb="team.calendar_feed_rotated", target=feed)  # the token itself is not logged
    return feed


# --- reminders -------------------------------------------------------------------------------------------------


def _reminders_due(now: datetime) -> list[tuple[Shift, str]]:
    local = now.astimezone(workspace_tz())
    today = local.date()
    due: list[tuple[Shift, str]] = [
        (s, ReminderKind.DAY_BEFORE)
        for s in Shift.objects.filter(date=today + timedelta(days=1)).select_related("user")
    ]
    if local.hour >= MORNING_REMINDER_HOUR:
        due += [
            (s, ReminderKind.MORNING_OF)
            for s in Shift.objects.filter(
                date=today, ends_at__gt=now, user__rotation__morning_reminder=True
            ).select_related("user")
        ]
    return due


def shift_reminders_send(*, now: datetime | None = None) -> int:
    """Send the reminders due at `now`: the day before each shift, and the morning of it for people who asked.

    Each reminder is claimed with a ShiftReminder row (unique per shift, kind and person) in its own
    transaction before the mail goes, so a second run, or one running at the same time on another worker,
    skips it; if the mail fails the claim is released for the next run. Returns the number of mails sent."""
    now = now or timezone.now()
    sent = 0
    for shift, kind in _reminders_due(now):
        user = shift.user
        if not user.is_active or not user.email:
            continue
        try:
            with transaction.atomic():
                marker = ShiftReminder.objects.create(shift=shift, kind=kind, user=user, sent_at=now)
        except IntegrityError:
            continue  # sent already, or another run has it
        with translation.override(user.language or settings.LANGUAGE_CODE):
            if kind == ReminderKind.DAY_BEFORE:
                subject = _("Reminder: you are on support duty tomorrow (%(date)s)") % {"date": shift.date}
            else:
                subject = _("Reminder: you are on support duty today (%(date)s)") % {"date": shift.date}
            local_start = shift.starts_at.astimezone(workspace_tz())
            local_end = shift.ends_at.astimezone(workspace_tz())
            body = _(
                "Hello %(name)s,\n\nyou are on first-line support duty on %(date)s from %(start)s to %(end)s "
                "(%(tz)s). During the shift you have agent rights.\n\nThe queue to work (new tickets): %(link)s\n"
            ) % {
                "name": user.display_name,
                "date": shift.date,
                "start": f"{local_start:%H:%M}",
                "end": f"{local_end:%H:%M}",
                "tz": settings.TIME_ZONE,
                "link": duty_link(),
            }
        try:
            EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]).send()
        except Exception as exc:  # noqa: BLE001 - the claim is released; the next run tries again
            logger.warning("shift reminder to %s failed: %s", user.email, exc)
            ShiftReminder.objects.filter(pk=marker.pk).delete()
            continue
        with transaction.atomic():
            event_record(
                actor=None,
                actor_label="reminder",
                verb="team.reminder_sent",
                target=shift,
                changes={"kind": [None, kind], "to": [None, user.email]},
            )
        sent += 1
    return sent


# --- forecast inputs -------------------------------------------------------------------------------------------


@transaction.atomic
def planned_event_create(
    *, name: str, start: date, end: date, multiplier: str | Decimal, actor: User | None
) -> PlannedEvent:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the event a name."), errors={"name": _("required")})
    if end < start:
        raise ValidationFailed(_("The last day is before the first."), errors={"end": _("before the first day")})
    try:
        factor = Decimal(str(multiplier))
    except InvalidOperation:
        raise ValidationFailed(_("The multiplier is a number."), errors={"multiplier": _("not a number")}) from None
    if not Decimal("0.01") <= factor <= Decimal("100"):
        raise ValidationFailed(_("The multiplier is between 0.01 and 100."), errors={"multiplier": "0.01..100"})
    event = PlannedEvent.objects.create(name=name[:150], start=start, end=end, multiplier=factor)
    event_record(
        actor=actor,
        verb="team.planned_event_added",
        target=event,
        changes={"start": [None, start], "end": [None, end], "multiplier": [None, factor]},
    )
    return event


@transaction.atomic
def planned_event_delete(*, event: PlannedEvent, actor: User | None) -> None:
    event_record(actor=actor, verb="team.planned_event_removed", target=event)
    event.delete()
