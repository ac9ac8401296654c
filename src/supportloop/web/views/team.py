"""Rotation, duty, calendar-feed and forecast pages. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from supportloop.accounts.models import User
from supportloop.accounts.permissions import can
from supportloop.core.db import reading_reports
from supportloop.core.errors import DomainError, NotFound, ValidationFailed
from supportloop.team import selectors, services
from supportloop.team import shadowing as shadowing_services
from supportloop.team.ics import shifts_to_ics
from supportloop.web.charts import bar_chart_svg
from supportloop.web.views.common import PageRequest, page, require_page

DAYS_SHOWN = 35


def _date(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise ValidationFailed(_("Give a date as YYYY-MM-DD."), errors={field: _("not a date")}) from None


def _time(value: str | None, field: str) -> time:
    try:
        return time.fromisoformat(value or "")
    except ValueError:
        raise ValidationFailed(_("Give a time as HH:MM."), errors={field: _("not a time")}) from None


def _user(value: str | None, field: str = "user") -> User:
    user = User.objects.filter(pk=int(value), is_active=True).first() if value and value.isdigit() else None
    if user is None:
        raise ValidationFailed(_("No such person."), errors={field: _("unknown")})
    return user


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("team:calendar_feed", args=[token]))


@page("rotation.view")
def rotation(request: PageRequest) -> HttpResponseBase:
    """The schedule for the next five weeks, the person's swap requests, the fairness table, the person's feed
    and the lead's tools. A GET reads only: calendar addresses are made by their own POST."""
    today = timezone.localdate()
    start = _date(request.GET["start"], "start") if request.GET.get("start") else today
    end = start + timedelta(days=DAYS_SHOWN - 1)
    lead = can(request.user, "rotation.manage")
    my_feed = selectors.calendar_feed_of(user=request.user)
    team_feed = selectors.calendar_feed_of(user=None) if lead else None
    shifts = list(selectors.shift_list(start=start, end=end))
    members = list(selectors.rotation_members())
    context = {
        "section": "rotation",
        "start": start,
        "end": end,
        "shifts": shifts,
        "my_shifts": [s for s in shifts if s.user_id == request.user.pk],
        "counts": selectors.shift_counts(start=start, end=end),
        "members": members,
        "me_member": next((m for m in members if m.user_id == request.user.pk), None),
        "patterns": selectors.shift_patterns(),
        "my_time_off": selectors.time_off_list(user=request.user).filter(end__gte=today),
        "asked": selectors.swap_requests(user=request.user, open_only=True),
        "swaps": selectors.swap_list(),
        "duty": selectors.duty_now(),
        "lead": lead,
        "me": request.user,
        "my_feed_url": _feed_url(request, my_feed.token) if my_feed else "",
        "team_feed_url": _feed_url(request, team_feed.token) if team_feed else "",
        "people": User.objects.filter(is_active=True).order_by("username") if lead else [],
        "next_start": end + timedelta(days=1),
    }
    return render(request, "team/rotation.html", context)


def _post(request: PageRequest, action: str | None, run: Callable[[], str]) -> HttpResponseBase:
    if action:
        require_page(request.user, action)
    try:
        text = run()
        if text:
            messages.success(request, text)
    except DomainError as exc:
        messages.error(request, " ".join([exc.detail, *[f"{k}: {v}" for k, v in exc.errors.items()]]))
    return redirect("team:rotation")


@require_POST
@page("rotation.manage")
def generate(request: PageRequest) -> HttpResponseBase:
    def run() -> str:
        start, end = _date(request.POST.get("start"), "start"), _date(request.POST.get("end"), "end")
        seed = int(request.POST.get("seed") or 0) if (request.POST.get("seed") or "0").isdigit() else 0
        plan = services.schedule_generate(
            start=start, end=end, seed=seed, actor=request.user, replace=request.POST.get("replace") == "1"
        )
        return _("%(n)s days planned, %(g)s left without anyone.") % {"n": len(plan.assignments), "g": len(plan.gaps)}

    return _post(request, None, run)


@require_POST
@page("rotation.manage")
def member_set(request: PageRequest) -> HttpResponseBase:
    def run() -> str:
        weekdays = [int(d) for d in request.POST.getlist("weekdays") if d.isdigit()]
        max_raw = request.POST.get("max_per_month") or "4"
        services.rotation_member_set(
            user=_user(request.POST.get("user")),
            actor=request.user,
            weekdays=weekdays,
            max_per_month=int(max_raw) if max_raw.isdigit() else -1,
            active=request.POST.get("active", "1") == "1",
        )
        return _("Rotation member saved.")

    return _post(request, None, run)


@require_POST
@page("rotation.manage")
def shift_set(request: PageRequest) -> HttpResponseBase:
    def run() -> str:
        raw = request.POST.get("pattern") or ""
        pattern = selectors.shift_pattern_get(pk=int(raw)) if raw.isdigit() else None
        services.shift_set(
            day=_date(request.POST.get("date"), "date"),
            user=_user(request.POST.get("user")),
            actor=request.user,
            pattern=pattern,
        )
        return _("Shift saved.")

    return _post(request, None, run)


@require_POST
@page("rotation.manage")
def shift_swap(request: PageRequest, pk: int) -> HttpResponseBase:
    """The lead moves a shift to someone else at once."""

    def run() -> str:
        shift = selectors.shift_get(pk=pk)
        services.shift_swap(shift=shift, to_user=_user(request.POST.get("to_user"), "to_user"), actor=request.user)
        return _("Shift moved; both people get a mail.")

    return _post(request, None, run)


@require_POST
@page("rotation.view")
def swap_propose(request: PageRequest, pk: int) -> HttpResponseBase:
    """The person on a shift asks someone to take it (or to exchange it for one of theirs)."""

    def run() -> str:
        shift = selectors.shift_get(pk=pk)
        raw = request.POST.get("other_shift") or ""
        other = selectors.shift_get(pk=int(raw)) if raw.isdigit() else None
        services.swap_propose(
            shift=shift,
            to_user=_user(request.POST.get("to_user"), "to_user"),
            other_shift=other,
            note=request.POST.get("note", ""),
            actor=request.user,
        )
        return _("Swap proposed; it happens when they accept.")

    return _post(request, None, run)


@require_POST
@page("rotation.view")
def swap_answer(request: PageRequest, pk: int) -> HttpResponseBase:
    """Accept or decline a swap you were asked (or withdraw your own proposal)."""

    def run() -> str:
        swap = selectors.swap_request_get(pk=pk)
        if request.POST.get("answer") == "accept":
            services.swap_accept(request=swap, actor=request.user)
            return _("Swap accepted: the shift is yours.")
        services.swap_decline(request=swap, actor=request.user)
        return _("Swap declined.")

    return _post(request, None, run)


@require_POST
@page("rotation.manage")
def pattern_save(request: PageRequest) -> HttpResponseBase:
    """Add a shift pattern, or change one (`pattern` given)."""

    def run() -> str:
        raw = request.POST.get("pattern") or ""
        pattern = selectors.shift_pattern_get(pk=int(raw)) if raw.isdigit() else None
        position = request.POST.get("position") or "0"
        services.shift_pattern_save(
            pattern=pattern,
            name=request.POST.get("name", ""),
            start_time=_time(request.POST.get("start_time"), "start_time"),
            end_time=_time(request.POST.get("end_time"), "end_time"),
            time_zone=request.POST.get("time_zone", "").strip(),
            weekdays=[int(d) for d in request.POST.getlist("weekdays") if d.isdigit()],
            position=int(position) if position.isdigit() else 0,
            active=request.POST.get("active", "1") == "1",
            actor=request.user,
        )
        return _("Shift pattern saved.")

    return _post(request, None, run)


@require_POST
@page("rotation.view")
def my_reminders(request: PageRequest) -> HttpResponseBase:
    """A person in the rotation chooses whether to be reminded on the morning of a shift too."""

    def run() -> str:
        selectors.rotation_member_get(user_id=request.user.pk)
        services.rotation_member_set(
            user=request.user, actor=request.user, morning_reminder=request.POST.get("morning_reminder") == "1"
        )
        return _("Reminder choice saved.")

    return _post(request, None, run)


@require_POST
@page("rotation.view")
def time_off_add(request: PageRequest) -> HttpResponseBase:
    def run() -> str:
        user = request.user
        if request.POST.get("user") and request.POST.get("user") != str(request.user.pk):
            require_page(request.user, "rotation.manage")
            user = _user(request.POST.get("user"))
        services.time_off_add(
            user=user,
            start=_date(request.POST.get("start"), "start"),
            end=_date(request.POST.get("end"), "end"),
            note=request.POST.get("note", ""),
            actor=request.user,
        )
        return _("Time off saved.")

    return _post(request, None, run)


@require_POST
@page("rotation.view")
def feed_rotate(request: PageRequest) -> HttpResponseBase:
    """Make the calendar address (`make=1`, first time) or a new one (the old one stops working)."""

    def run() -> str:
        team = request.POST.get("scope") == "team"
        if team:
            require_page(request.user, "rotation.manage")
        owner = None if team else request.user
        if request.POST.get("make") == "1":
            services.calendar_feed_get_or_create(user=owner, actor=request.user)
            return _("Calendar address made.")
        services.calendar_feed_rotate(user=owner, actor=request.user)
        return _("New calendar address made; the old one no longer works.")

    return _post(request, None, run)


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed at its secret address (no sign-in: calendar apps cannot sign in)."""
    try:
        feed = selectors.calendar_feed_by_token(token=token)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    today = timezone.localdate()
    shifts = selectors.shift_list(
        start=today - timedelta(days=60), end=today + timedelta(days=366), user=feed.user
    ).annotate(swap_count=Count("swaps"))
    name = _("Support duty") if feed.user is None else _("My support duty")
    body = shifts_to_ics(shifts, name=name, link=services.duty_link())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@page("rotation.view")
def duty(request: PageRequest) -> HttpResponseBase:
    """The duty view: the inbox filtered to new tickets, for first-line triage."""
    return redirect(reverse("web:inbox") + "?status=new")


def _forecast_params(request: HttpRequest) -> dict[str, Any]:
    def number(name: str, default: float, low: float, high: float) -> float:
        try:
            value = float(request.GET.get(name, default))
        except ValueError:
            return default
        return min(high, max(low, value))

    return {
        "target_level": number("level", 80, 1, 99.9) / 100,
        "target_seconds": int(number("within_minutes", 60, 1, 7 * 24 * 60) * 60),
        "history_weeks": int(number("weeks", selectors.DEFAULT_HISTORY_WEEKS, 2, 104)),
        "capacity_weeks": int(number("capacity_weeks", selectors.DEFAULT_CAPACITY_WEEKS, 1, 52)),
    }


@page("forecast.view")
@reading_reports  # a report: reads from the replica when there is a fresh one (core/db.py)
def forecast(request: PageRequest) -> HttpResponseBase:
    params = _forecast_params(request)
    result = selectors.staffing_forecast_cached(**params)
    chart = bar_chart_svg(
        title=_("Expected tickets per hour over the next 7 days"),
        labels=[date_format(timezone.localtime(r.starts_at), "D H:i") for r in result.rows],
        values=[r.volume for r in result.rows],
        series=_("Expected tickets"),
        label_every=24,
    )
    context = {
        "section": "forecast",
        "f": result,
        "params": params,
        "level_pct": round(params["target_level"] * 100, 1),
        "within_minutes": params["target_seconds"] // 60,
        "chart": chart,
        "events": selectors.planned_events_upcoming(),
        "query": request.GET.urlencode(),
    }
    return render(request, "team/forecast.html", context)


@page("forecast.view")
def forecast_csv(request: PageRequest) -> HttpResponseBase:
    result = selectors.staffing_forecast_cached(**_forecast_params(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="staffing-forecast.csv"'
    writer = csv.writer(response)
    writer.writerow(["hour_start", "expected_tickets", "event_multiplier", "agent_hours_needed", "agents_erlang_c"])
    for r in result.rows:
        writer.writerow(
            [r.starts_at.isoformat(), r.volume, r.multiplier, "" if r.agent_hours is None else r.agent_hours, r.agents]
        )
    return response


@require_POST
@page("forecast.view")
def planned_event_add(request: PageRequest) -> HttpResponseBase:
    try:
        services.planned_event_create(
            name=request.POST.get("name", ""),
            start=_date(request.POST.get("start"), "start"),
            end=_date(request.POST.get("end"), "end"),
            multiplier=request.POST.get("multiplier", ""),
            actor=request.user,
        )
        messages.success(request, _("Planned event saved."))
    except DomainError as exc:
        messages.error(request, " ".join([exc.detail, *[f"{k}: {v}" for k, v in exc.errors.items()]]))
    return redirect("team:forecast")


# --- shadowing ---------------------------------------------------------------------------------------------------


@page("rotation.view")
def shadowing(request: PageRequest) -> HttpResponseBase:
    """Upcoming slots (offer one if you host), sign up, your sessions with their debrief form and findings."""
    from supportloop.team.models import ShadowFinding, ShadowSignup, ShadowSlot

    now = timezone.now()
    context = {
        "section": "rotation",
        "slots": ShadowSlot.objects.filter(ends_at__gte=now)
        .select_related("host")
        .annotate(taken=Count("signups"))
        .order_by("starts_at")[:50],
        "mine": ShadowSignup.objects.filter(visitor=request.user)
        .select_related("slot__host")
        .order_by("-created_at")[:20],
        "findings": ShadowFinding.objects.filter(feedback_item__isnull=True)
        .select_related("signup__visitor")
        .order_by("-id")[:50]
        if can(request.user, "feedback.create")
        else [],
        "can_host": can(request.user, "ticket.reply") and request.user.role in ("admin", "lead", "agent"),
        "report": shadowing_services.shadow_report(),
        "me": request.user,
    }
    return render(request, "team/shadowing.html", context)


def _shadow_post(request: PageRequest, run: Callable[[], str]) -> HttpResponseBase:
    try:
        messages.success(request, run())
    except DomainError as exc:
        messages.error(request, " ".join([exc.detail, *[f"{k}: {v}" for k, v in exc.errors.items()]]))
    return redirect("team:shadowing")


def _datetime(value: str | None, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value or "")
    except ValueError:
        raise ValidationFailed(_("Give a date and time."), errors={field: _("not a date and time")}) from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@require_POST
@page("ticket.reply")
def shadow_slot_offer(request: PageRequest) -> HttpResponseBase:
    def run() -> str:
        seats = request.POST.get("seats") or "1"
        shadowing_services.shadow_slot_create(
            host=request.user,
            starts_at=_datetime(request.POST.get("starts_at"), "starts_at"),
            ends_at=_datetime(request.POST.get("ends_at"), "ends_at"),
            seats=int(seats) if seats.isdigit() else 0,
            note=request.POST.get("note", ""),
            actor=request.user,
        )
        return _("Shadowing slot offered.")

    return _shadow_post(request, run)


@require_POST
@page("rotation.view")
def shadow_signup(request: PageRequest, pk: int) -> HttpResponseBase:
    from supportloop.team.models import ShadowSlot

    def run() -> str:
        slot = ShadowSlot.objects.filter(pk=pk).first()
        if slot is None:
            raise NotFound(_("No such slot."))
        shadowing_services.shadow_signup(slot=slot, visitor=request.user)
        return _("Signed up.")

    return _shadow_post(request, run)


@require_POST
@page("rotation.view")
def shadow_debrief(request: PageRequest, pk: int) -> HttpResponseBase:
    from supportloop.team.models import ShadowSignup

    def run() -> str:
        signup = ShadowSignup.objects.filter(pk=pk, visitor=request.user).first()
        if signup is None:
            raise NotFound(_("No such session of yours."))
        made = shadowing_services.shadow_debrief(
            signup=signup,
            actor=request.user,
            saw=request.POST.get("saw", ""),
            findings=request.POST.get("findings", "").splitlines(),
        )
        return _("Debrief saved with %(n)s findings.") % {"n": len(made)}

    return _shadow_post(request, run)


@require_POST
@page("feedback.create")
def shadow_finding_file(request: PageRequest, pk: int) -> HttpResponseBase:
    from supportloop.feedback.models import FeedbackItem
    from supportloop.team.models import ShadowFinding

    def run() -> str:
        finding = ShadowFinding.objects.filter(pk=pk).first()
        if finding is None:
            raise NotFound(_("No such finding."))
        item = None
        raw = (request.POST.get("item") or "").removeprefix("FB-")
        if raw:
            item = FeedbackItem.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
            if item is None:
                raise ValidationFailed(_("No such feedback item."), errors={"item": _("unknown")})
        made = shadowing_services.shadow_finding_to_feedback(finding=finding, actor=request.user, item=item)
        return _("Finding filed as evidence on %(ref)s.") % {"ref": made.reference}

    return _shadow_post(request, run)
