"""SLA pages: the ticket page's SLA panel (a fragment the page loads lazily with htmx), and the settings pages
for business-hours calendars, SLA policies (in order) and the attainment report (admins and leads)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supportloop.automation.calendars import holiday_names
from supportloop.automation.selectors.sla import (
    business_calendar_get,
    business_calendar_list,
    sla_attainment,
    sla_policy_get,
    sla_policy_list,
    ticket_sla_panel,
)
from supportloop.automation.services.sla_config import (
    business_calendar_create,
    business_calendar_update,
    policy_targets,
    sla_policy_create,
    sla_policy_update,
)
from supportloop.core.errors import DomainError
from supportloop.tickets.selectors import ticket_get
from supportloop.web.forms import add_domain_error
from supportloop.web.sla_forms import TARGET_NAMES, CalendarForm, PolicyForm
from supportloop.web.views.common import PageRequest, page

TARGET_LABELS = dict(TARGET_NAMES)


def duration_text(seconds: float) -> str:
    """2h 10m, 3d 4h, 45m: the largest two units of a business-time span."""
    minutes = max(0, int(seconds // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)sd %(h)sh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)sh %(m)sm") % {"h": hours, "m": mins}
    return _("%(m)sm") % {"m": mins}


@page("ticket.view")
def ticket_sla(request: PageRequest, number: int) -> HttpResponseBase:
    """The SLA panel of one ticket: due times in business time, breaches with when, pause history."""
    ticket = ticket_get(number=number)
    panel = ticket_sla_panel(ticket_id=ticket.pk)
    rows = []
    if panel is not None:
        for t in panel.targets:
            if t.state == "none":
                continue
            label = TARGET_LABELS[t.target]
            if t.state == "running":
                left = duration_text(t.remaining_seconds or 0)
                if panel.business_hours:
                    text = _("%(target)s due in %(left)s (business hours)") % {"target": label, "left": left}
                else:
                    text = _("%(target)s due in %(left)s") % {"target": label, "left": left}
            elif t.state == "paused":
                text = _("%(target)s: clock paused") % {"target": label}
            elif t.state == "met":
                text = _("%(target)s met") % {"target": label}
            else:
                text = _("%(target)s breached") % {"target": label}
            rows.append(
                {
                    "state": t.state,
                    "text": text,
                    "due_at": t.due_at,
                    "breached_at": t.breached_at,
                    "fulfilled_at": t.fulfilled_at,
                    "warned": t.warned_at is not None and t.state == "running",
                }
            )
    pauses = [
        {
            "status": p.status,
            "started_at": p.started_at,
            "ended_at": p.ended_at,
            "length": duration_text(p.business_seconds) if p.ended_at else None,
        }
        for p in (panel.pauses if panel else [])
    ]
    return render(
        request,
        "web/partials/ticket_sla.html",
        {
            "ticket": ticket,
            "panel": panel,
            "rows": rows,
            "pauses": pauses,
            "paused_total": duration_text(panel.paused_seconds) if panel and panel.paused_seconds else None,
        },
    )


# -- settings -------------------------------------------------------------------------------------------------------
@page("sla.manage")
def sla_policies(request: PageRequest) -> HttpResponseBase:
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sla_policy_create(
                actor=request.user,
                targets=form.targets(),
                position=form.cleaned_data["position"],
                **form.service_values(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("SLA policy created."))
            return redirect("web:sla_policies")
    policies = [(p, policy_targets(p)) for p in sla_policy_list()]
    return render(
        request,
        "web/settings/sla_policies.html",
        {"section": "settings", "form": form, "policies": policies, "target_names": TARGET_NAMES},
    )


@page("sla.manage")
def sla_policy_edit(request: PageRequest, pk: int) -> HttpResponseBase:
    policy = sla_policy_get(policy_id=pk)
    form = PolicyForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            sla_policy_update(
                policy=policy,
                actor=request.user,
                targets=form.targets(),
                position=form.cleaned_data["position"],
                **form.service_values(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:sla_policies")
    return render(
        request,
        "web/settings/sla_policy_edit.html",
        {"section": "settings", "form": form, "policy": policy, "target_names": TARGET_NAMES},
    )


@require_POST
@page("sla.manage")
def sla_policy_move(request: PageRequest, pk: int) -> HttpResponseBase:
    policy = sla_policy_get(policy_id=pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    try:
        sla_policy_update(policy=policy, actor=request.user, position=max(1, policy.position + step))
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("web:sla_policies")


@page("sla.manage")
def sla_calendars(request: PageRequest) -> HttpResponseBase:
    form = CalendarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            business_calendar_create(actor=request.user, **form.service_values())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Calendar created."))
            return redirect("web:sla_calendars")
    return render(
        request,
        "web/settings/sla_calendars.html",
        {"section": "settings", "form": form, "calendars": list(business_calendar_list())},
    )


@page("sla.manage")
def sla_calendar_edit(request: PageRequest, pk: int) -> HttpResponseBase:
    calendar = business_calendar_get(calendar_id=pk)
    form = CalendarForm(request.POST or None, calendar=calendar)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        teams = values.pop("teams")
        try:
            business_calendar_update(calendar=calendar, actor=request.user, teams=teams, **values)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:sla_calendar_edit", pk=calendar.pk)
    year = timezone.localdate().year
    return render(
        request,
        "web/settings/sla_calendar_edit.html",
        {
            "section": "settings",
            "form": form,
            "calendar": calendar,
            "year": year,
            "closed_days": holiday_names(calendar, year),
        },
    )


@page("sla.report")
def sla_report(request: PageRequest) -> HttpResponseBase:
    group_by = request.GET.get("group_by", "policy")
    if group_by not in ("policy", "team", "agent"):
        group_by = "policy"
    try:
        days = min(max(int(request.GET.get("days", "30")), 1), 3650)
    except ValueError:
        days = 30
    since = timezone.now() - timedelta(days=days)
    rows = sla_attainment(group_by=group_by, since=since)
    return render(
        request,
        "web/settings/sla_report.html",
        {
            "section": "settings",
            "rows": rows,
            "group_by": group_by,
            "days": days,
            "target_names": TARGET_NAMES,
            "period": ngettext("the last %(n)s day", "the last %(n)s days", days) % {"n": days},
        },
    )
