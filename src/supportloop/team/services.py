"""Every write of the team app: rotation members, time off, the schedule and its edits and swaps, calendar
feed tokens, shift reminders and the forecast's planned events. One transaction and one audit event each;
mail goes after commit (tasks) or outside any transaction (reminders)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from zoneinfo import ZoneInfo

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
    ShiftReminder,
    ShiftSwap,
    TimeOff,
)
from supportloop.team.planner import Person, Plan, plan_schedule

logger = logging.getLogger("supportloop.team")

SHIFT_START = time(9, 0)  # local hours of a duty day, in the workspace's time zone
SHIFT_END = time(17, 0)
MAX_PERIOD_DAYS = 366
MORNING_REMINDER_HOUR = 7  # local hour from which the morning-of reminder goes


def workspace_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def shift_bounds(day: date) -> tuple[datetime, datetime]:
    tz = workspace_tz()
    return datetime.combine(day, SHIFT_START, tzinfo=tz), datetime.combine(day, SHIFT_END, tzinfo=tz)


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
def schedule_generate(*, start: date, end: date, seed: int, actor: User | None, replace: bool = False) -> Plan:
    """Fill the days from `start` to `end` that have no shift yet, fairly (team.planner). With `replace`, the
    period's shifts are removed first and every day is planned again. Shifts elsewhere in the months touched
    count towards each person's monthly maximum. Returns the plan (assignments made, days left as gaps)."""
    if end < start:
        raise ValidationFailed(_("The last day is before the first."), errors={"end": _("before the first day")})
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed(_("Plan at most a year at once."), errors={"end": _("too far")})
    period = Shift.objects.select_for_update().filter(date__gte=start, date__lte=end)
    removed: list[Shift] = []
    if replace:
        removed = list(period)
        period.delete()
    taken = set(Shift.objects.filter(date__gte=start, date__lte=end).values_list("date", flat=True))
    month_start = start.replace(day=1)
    month_end = (end.replace(day=28) + timedelta(days=4)).replace(day=1)
    counts = (
        Shift.objects.filter(date__gte=month_start, date__lt=month_end)
        .annotate(y=ExtractYear("date"), m=ExtractMonth("date"))
        .values("user_id", "y", "m")
        .annotate(n=Count("id"))
    )
    month_counts = {(row["user_id"], row["y"], row["m"]): row["n"] for row in counts}
    plan = plan_schedule(people=_people(), start=start, end=end, seed=seed, month_counts=month_counts)
    for day in taken:
        plan.assignments.pop(day, None)
    plan.gaps = [d for d in plan.gaps if d not in taken]
    shifts = []
    for day, user_id in sorted(plan.assignments.items()):
        starts_at, ends_at = shift_bounds(day)
        shifts.append(Shift(date=day, user_id=user_id, starts_at=starts_at, ends_at=ends_at))
    Shift.objects.bulk_create(shifts)
    created = list(Shift.objects.filter(date__in=list(plan.assignments)).select_related("user"))
    events = [
        event_build(actor=actor, verb="team.shift_removed", target=s, changes={"user": [s.user_id, None]})
        for s in removed
    ]
    events += [
        event_build(
            actor=actor,
            verb="team.shift_planned",
            target=s,
            changes={"user": [None, s.user_id], "date": [None, s.date], "seed": [None, seed]},
        )
        for s in created
    ]
    events_record_many(events)
    return plan


@transaction.atomic
def shift_set(*, day: date, user: User, actor: User | None) -> Shift:
    """The lead's edit: put `user` on duty on `day` (a new shift, or the day's shift given to someone else)."""
    if not RotationMember.objects.filter(user=user, active=True).exists():
        raise ValidationFailed(_("This person is not in the rotation."), errors={"user": _("not in the rotation")})
    shift = Shift.objects.select_for_update().filter(date=day).first()
    if shift is None:
        starts_at, ends_at = shift_bounds(day)
        shift = Shift.objects.create(date=day, user=user, starts_at=starts_at, ends_at=ends_at)
        event_record(actor=actor, verb="team.shift_planned", target=shift, changes={"user": [None, user.pk]})
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


@transaction.atomic
def shift_swap(*, shift: Shift, to_user: User, actor: User, other_shift: Shift | None = None) -> SwapResult:
    """Hand `shift` to `to_user`; with `other_shift` (one of `to_user`'s), the two people exchange days.

    The person on the shift or a lead may do it. Each hand-over is a ShiftSwap row and an audit event; both
    people are told by mail after commit."""
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    giver = shift.user
    if actor.pk != giver.pk and not can(actor, "rotation.manage"):
        raise PermissionDenied(_("Only the person on this shift or a lead may swap it (rotation.manage)."))
    if to_user.pk == giver.pk:
        raise ValidationFailed(_("This shift is already theirs."), errors={"to_user": _("same person")})
    if not to_user.is_active or not RotationMember.objects.filter(user=to_user, active=True).exists():
        raise ValidationFailed(_("This person is not in the rotation."), errors={"to_user": _("not in the rotation")})
    other = None
    if other_shift is not None:
        other = Shift.objects.select_for_update().get(pk=other_shift.pk)
        if other.user_id != to_user.pk:
            raise ValidationFailed(
                _("The other shift is not theirs."), errors={"other_shift": _("belongs to someone else")}
            )
    pairs = [(shift, giver, to_user)] + ([(other, to_user, giver)] if other is not None else [])
    for s, frm, to in pairs:
        s.swapped_from = frm
        s.user = to
        s.save(update_fields=["user", "swapped_from"])
        ShiftSwap.objects.create(shift=s, from_user=frm, to_user=to, actor=actor)
        event_record(
            actor=actor, verb="team.shift_swapped", target=s, changes={"user": [frm.pk, to.pk], "date": [None, s.date]}
        )
        transaction.on_commit(partial(job_enqueue, "team.shift_change_notice", shift_id=s.pk, user_ids=[frm.pk, to.pk]))
    return SwapResult(shift=shift, other_shift=other)


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
