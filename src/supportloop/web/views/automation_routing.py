"""Settings pages of routing and assignment (admins and leads): the ordered routing rules, each team's assignment
method and the agents' capacity and skills; and the away toggle every support agent has on their account page."""

from __future__ import annotations

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportloop.automation.selectors import routing as selectors
from supportloop.automation.services.assignment import agent_profile_update, agent_set_away, team_assignment_update
from supportloop.automation.services.routing import (
    routing_dry_run,
    routing_rule_create,
    routing_rule_move,
    routing_rule_update,
)
from supportloop.core.errors import DomainError
from supportloop.tickets.models import ProductArea
from supportloop.tickets.selectors import ticket_get
from supportloop.web.forms import add_domain_error
from supportloop.web.routing_forms import AgentSkillsForm, RoutingRuleForm, TeamAssignmentForm, split_list
from supportloop.web.views.common import PageRequest, int_or_none, page, safe_next


@page("routing.manage")
def routing_rules(request: PageRequest) -> HttpResponseBase:
    """The rules in the order they are tried, with a dry run against one ticket."""
    test = None
    number = int_or_none(request.GET.get("ticket"))
    if number is not None:
        try:
            test = routing_dry_run(ticket=ticket_get(number=number))
            test["number"] = number
        except DomainError as exc:
            messages.error(request, exc.detail)
    rules = list(selectors.routing_rule_list())
    return render(
        request,
        "web/settings/routing.html",
        {"section": "settings", "rules": rules, "test": test, "ticket_number": number or ""},
    )


@page("routing.manage")
def routing_rule_edit(request: PageRequest, pk: int | None = None) -> HttpResponseBase:
    rule = selectors.routing_rule_get(rule_id=pk) if pk is not None else None
    initial = RoutingRuleForm.initial_of(rule) if rule is not None else None
    form = RoutingRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                routing_rule_create(actor=request.user, **form.service_values())
            else:
                routing_rule_update(rule=rule, actor=request.user, **form.service_values())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Routing rule saved."))
            return redirect("web:routing_rules")
    return render(request, "web/settings/routing_rule.html", {"section": "settings", "form": form, "rule": rule})


@require_POST
@page("routing.manage")
def routing_rule_action(request: PageRequest, pk: int) -> HttpResponseBase:
    """The list's buttons: move a rule up or down, turn it on or off."""
    rule = selectors.routing_rule_get(rule_id=pk)
    action = request.POST.get("action")
    if action in ("up", "down"):
        routing_rule_move(rule=rule, offset=-1 if action == "up" else 1, actor=request.user)
    elif action == "toggle":
        routing_rule_update(rule=rule, actor=request.user, is_active=not rule.is_active)
    messages.success(request, _("Saved."))
    return redirect("web:routing_rules")


@page("routing.manage")
def assignment(request: PageRequest) -> HttpResponseBase:
    """Each team's method, capacity and away rule; each agent's capacity and skills. One form per row."""
    failed: dict[str, object] = {}
    area_choices = list(ProductArea.objects.order_by("position", "name").values_list("pk", "name"))
    if request.method == "POST":
        kind, pk = request.POST.get("kind"), int_or_none(request.POST.get("pk"))
        if kind == "team" and pk is not None:
            row = selectors.team_assignment_row(team_id=pk)
            form = TeamAssignmentForm(request.POST, prefix=f"team-{pk}")
            if form.is_valid():
                try:
                    team_assignment_update(team=row.team, actor=request.user, **form.cleaned_data)
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    messages.success(request, _("Team %(team)s saved.") % {"team": row.team.name})
                    return redirect("web:assignment")
            failed[f"team-{pk}"] = form
        elif kind == "agent" and pk is not None:
            agent = selectors.agent_row(user_id=pk)
            skills = AgentSkillsForm(request.POST, prefix=f"agent-{pk}", areas=area_choices)
            if skills.is_valid():
                try:
                    agent_profile_update(
                        user=agent.user,
                        actor=request.user,
                        capacity=skills.cleaned_data["capacity"],
                        languages=split_list(skills.cleaned_data["languages"]),
                        product_area_ids=skills.cleaned_data["product_areas"],
                    )
                except DomainError as exc:
                    add_domain_error(skills, exc)
                else:
                    messages.success(request, _("%(name)s saved.") % {"name": agent.user.display_name})
                    return redirect("web:assignment")
            failed[f"agent-{pk}"] = skills
    areas = dict(area_choices)
    teams = [
        (
            row,
            failed.get(f"team-{row.team.pk}")
            or TeamAssignmentForm(
                prefix=f"team-{row.team.pk}",
                initial={
                    "method": row.method,
                    "require_skills": row.require_skills,
                    "default_capacity": row.default_capacity,
                    "on_agent_away": row.on_agent_away,
                },
            ),
        )
        for row in selectors.team_assignment_rows()
    ]
    agents = [
        (
            row,
            failed.get(f"agent-{row.user.pk}")
            or AgentSkillsForm(
                prefix=f"agent-{row.user.pk}",
                areas=area_choices,
                initial={
                    "capacity": row.capacity,
                    "languages": ", ".join(row.languages),
                    "product_areas": row.product_area_ids,
                },
            ),
            [areas[a] for a in row.product_area_ids if a in areas],
        )
        for row in selectors.agent_rows()
    ]
    return render(request, "web/settings/assignment.html", {"section": "settings", "teams": teams, "agents": agents})


@require_POST
@page("routing.away_own")
def away_toggle(request: PageRequest) -> HttpResponseBase:
    """An agent sets themselves away or back; their open tickets move as each team says."""
    away = request.POST.get("away") == "1"
    result = agent_set_away(user=request.user, away=away, actor=request.user)
    if away:
        messages.success(
            request,
            _("You are away. %(moved)s of your open tickets went back to their teams or to other agents.")
            % {"moved": result.unassigned + result.reassigned},
        )
    else:
        messages.success(request, _("You are back: new tickets can be assigned to you."))
    return redirect(safe_next(request, "/account/"))
