"""Role matrix rows of the routing API: admins and leads manage routing; any support role sets itself away."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case, World


def _rule(w: World):
    from supportloop.automation.services.routing import routing_rule_create

    return routing_rule_create(actor=None, name=f"rule {w.n()}", keywords=["password"], team=w.team)


def _setup(w: World) -> None:
    w.extra["rule"] = _rule(w)


def _all_rule_ids(w: World) -> dict:
    from supportloop.automation.models import RoutingRule

    return {"rule_ids": list(RoutingRule.objects.order_by("-position", "-id").values_list("pk", flat=True))}


R = "/api/v1/routing"
CASES = {
    ("GET", f"{R}/rules"): Case("routing.manage", lambda w: "routing/rules", setup=_setup),
    ("POST", f"{R}/rules"): Case(
        "routing.manage",
        lambda w: "routing/rules",
        body=lambda w: {"name": f"new {w.n()}", "languages": ["zh"], "team_id": w.team.pk},
        status=201,
    ),
    ("POST", f"{R}/rules/reorder"): Case(
        "routing.manage", lambda w: "routing/rules/reorder", body=_all_rule_ids, setup=_setup
    ),
    ("GET", f"{R}/rules/{{rule_id}}"): Case(
        "routing.manage", lambda w: f"routing/rules/{w.extra['rule'].pk}", setup=_setup
    ),
    ("PATCH", f"{R}/rules/{{rule_id}}"): Case(
        "routing.manage",
        lambda w: f"routing/rules/{w.extra['rule'].pk}",
        body=lambda w: {"is_active": False},
        setup=_setup,
    ),
    ("DELETE", f"{R}/rules/{{rule_id}}"): Case("routing.manage", lambda w: f"routing/rules/{_rule(w).pk}", status=204),
    ("GET", f"{R}/test"): Case("routing.manage", lambda w: f"routing/test?ticket={w.ticket.number}"),
    ("GET", f"{R}/teams"): Case("routing.manage", lambda w: "routing/teams"),
    ("PATCH", f"{R}/teams/{{team_id}}"): Case(
        "routing.manage", lambda w: f"routing/teams/{w.team.pk}", body=lambda w: {"method": "round_robin"}
    ),
    ("GET", f"{R}/agents"): Case("routing.manage", lambda w: "routing/agents"),
    ("PATCH", f"{R}/agents/{{user_id}}"): Case(
        "routing.manage", lambda w: f"routing/agents/{w.admin.pk}", body=lambda w: {"languages": ["en"]}
    ),
    ("GET", f"{R}/me"): Case("routing.away_own", lambda w: "routing/me"),
    ("PUT", f"{R}/me/away"): Case("routing.away_own", lambda w: "routing/me/away", body=lambda w: {"away": True}),
}
