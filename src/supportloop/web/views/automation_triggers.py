"""Settings pages of triggers (admins and leads): the rules in order with enable/disable and move buttons, the
create/edit form (conditions and actions as checked JSON), and the "test this rule against ticket #N" dry run."""

from __future__ import annotations

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportloop.automation.selectors import time_rules as time_rule_selectors
from supportloop.automation.selectors import triggers as selectors
from supportloop.automation.services.time_rules import time_rule_update
from supportloop.automation.services.triggers import (
    dry_run_summary,
    trigger_create,
    trigger_dry_run,
    trigger_move,
    trigger_update,
)
from supportloop.core.errors import DomainError
from supportloop.tickets.selectors import ticket_get
from supportloop.web.trigger_forms import EVENT_LABELS, TimeRuleForm, TriggerForm
from supportloop.web.views.common import PageRequest, int_or_none, page


def _triggers_page(request: PageRequest, bound: TimeRuleForm | None = None, status: int = 200) -> HttpResponseBase:
    rows = [(t, [str(EVENT_LABELS.get(e, e)) for e in t.events]) for t in selectors.trigger_list()]
    time_rules = [
        bound
        if bound is not None and bound.rule == c.rule
        else TimeRuleForm(rule=c.rule, initial=TimeRuleForm.initial_of(c))
        for c in time_rule_selectors.time_rule_list()
    ]
    return render(
        request,
        "web/settings/triggers.html",
        {"section": "settings", "rows": rows, "time_rules": time_rules},
        status=status,
    )


@page("triggers.manage")
def triggers(request: PageRequest) -> HttpResponseBase:
    """The triggers in the order they run, and the built-in time rules."""
    return _triggers_page(request)


@require_POST
@page("triggers.manage")
def time_rule_save(request: PageRequest, rule: str) -> HttpResponseBase:
    """Save one time rule's form; errors are shown on its field, on the same page."""
    config = time_rule_selectors.time_rule_get(rule=rule)
    form = TimeRuleForm(request.POST, rule=config.rule)
    if form.is_valid():
        try:
            time_rule_update(rule=config.rule, actor=request.user, **form.service_values())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Time rule saved."))
            return redirect("web:triggers")
    return _triggers_page(request, bound=form)


@page("triggers.manage")
def trigger_edit(request: PageRequest, pk: int | None = None) -> HttpResponseBase:
    """Create or edit a trigger; on an existing one, the dry run against a ticket (GET ?ticket=N)."""
    trigger = selectors.trigger_get(trigger_id=pk) if pk is not None else None
    initial = TriggerForm.initial_of(trigger) if trigger is not None else {"conditions": '{"all": [], "any": []}'}
    form = TriggerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if trigger is None:
                trigger = trigger_create(actor=request.user, **form.service_values())
            else:
                trigger_update(trigger=trigger, actor=request.user, **form.service_values())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Trigger saved."))
            return redirect("web:triggers")
    test, summary = None, ""
    number = int_or_none(request.GET.get("ticket"))
    if trigger is not None and number is not None:
        try:
            test = trigger_dry_run(trigger=trigger, ticket=ticket_get(number=number))
            summary = dry_run_summary(test)
        except DomainError as exc:
            messages.error(request, exc.detail)
    firings = list(selectors.trigger_firings(trigger_id=trigger.pk)) if trigger is not None else []
    return render(
        request,
        "web/settings/trigger_edit.html",
        {
            "section": "settings",
            "form": form,
            "trigger": trigger,
            "test": test,
            "summary": summary,
            "ticket_number": number or "",
            "firings": firings,
        },
    )


@require_POST
@page("triggers.manage")
def trigger_action(request: PageRequest, pk: int) -> HttpResponseBase:
    """The list's buttons: move a trigger up or down, turn it on or off."""
    trigger = selectors.trigger_get(trigger_id=pk)
    action = request.POST.get("action")
    if action in ("up", "down"):
        trigger_move(trigger=trigger, offset=-1 if action == "up" else 1, actor=request.user)
    elif action == "toggle":
        trigger_update(trigger=trigger, actor=request.user, is_active=not trigger.is_active)
    messages.success(request, _("Saved."))
    return redirect("web:triggers")
