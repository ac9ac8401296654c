"""Role matrix rows of the triggers API: admins and leads manage triggers and run the dry run."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case, World


def _trigger(w: World):
    from supportloop.automation.services.triggers import trigger_create

    return trigger_create(
        actor=None,
        name=f"trigger {w.n()}",
        events=["created"],
        conditions={"all": [{"field": "priority", "op": "is", "value": "urgent"}]},
        actions=[{"action": "add_tags", "tags": ["vip"]}],
    )


def _setup(w: World) -> None:
    w.extra["trigger"] = _trigger(w)


def _all_ids(w: World) -> dict:
    from supportloop.automation.models import Trigger

    return {"trigger_ids": list(Trigger.objects.order_by("-position", "-id").values_list("pk", flat=True))}


T = "/api/v1/triggers"
CASES = {
    ("GET", T): Case("triggers.manage", lambda w: "triggers", setup=_setup),
    ("POST", T): Case(
        "triggers.manage",
        lambda w: "triggers",
        body=lambda w: {"name": f"new {w.n()}", "events": ["replied"], "actions": [{"action": "raise_priority"}]},
        status=201,
    ),
    ("POST", f"{T}/reorder"): Case("triggers.manage", lambda w: "triggers/reorder", body=_all_ids, setup=_setup),
    ("GET", f"{T}/{{trigger_id}}"): Case(
        "triggers.manage", lambda w: f"triggers/{w.extra['trigger'].pk}", setup=_setup
    ),
    ("PATCH", f"{T}/{{trigger_id}}"): Case(
        "triggers.manage",
        lambda w: f"triggers/{w.extra['trigger'].pk}",
        body=lambda w: {"is_active": False},
        setup=_setup,
    ),
    ("DELETE", f"{T}/{{trigger_id}}"): Case("triggers.manage", lambda w: f"triggers/{_trigger(w).pk}", status=204),
    ("POST", f"{T}/{{trigger_id}}/dry-run"): Case(
        "triggers.manage",
        lambda w: f"triggers/{w.extra['trigger'].pk}/dry-run?ticket={w.ticket.number}",
        setup=_setup,
    ),
    ("GET", f"{T}/time-rules"): Case("triggers.manage", lambda w: "triggers/time-rules"),
    ("PATCH", f"{T}/time-rules/{{rule}}"): Case(
        "triggers.manage",
        lambda w: "triggers/time-rules/solved_close",
        body=lambda w: {"after_minutes": 4 * 24 * 60 + w.n()},
    ),
}
