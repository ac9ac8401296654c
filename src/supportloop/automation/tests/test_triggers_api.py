"""The triggers API: leads and admins manage triggers and run the dry run; agents are refused; bad conditions and
actions are 422s naming the part."""

from __future__ import annotations

import pytest
from conftest import assert_problem

from supportloop.automation.models import Trigger
from supportloop.core.models import Event

pytestmark = pytest.mark.django_db

RULE = {
    "name": "Urgent words",
    "events": ["created", "customer_replied"],
    "conditions": {"any": [{"field": "subject", "op": "contains", "value": "down"}]},
    "actions": [{"action": "set_priority", "priority": "urgent"}, {"action": "add_tags", "tags": ["outage"]}],
}


def test_a_lead_creates_reorders_tests_disables_and_deletes_triggers(api_client, make_ticket):
    lead = api_client(role="lead")
    first = lead.post("triggers", RULE)
    assert first.status_code == 201, first.content
    assert first.json()["conditions"]["any"][0] == {"field": "subject", "op": "contains", "value": "down"}
    second = lead.post("triggers", {**RULE, "name": "Second", "actions": [{"action": "raise_priority"}]})
    ids = [second.json()["id"], first.json()["id"]]
    assert [t["id"] for t in lead.post("triggers/reorder", {"trigger_ids": ids}).json()] == ids
    assert [t["id"] for t in lead.get("triggers").json()] == ids

    ticket = make_ticket("Site down")
    events = Event.objects.count()
    run = lead.post(f"triggers/{first.json()['id']}/dry-run?ticket={ticket.number}&event=created")
    assert run.status_code == 200, run.content
    body = run.json()
    assert body["would_fire"] is True and body["matches"] is True and body["listens"] is True
    assert body["actions"] == ["Priority set to Urgent", "Tags added: outage"]
    assert Event.objects.count() == events  # nothing written
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    assert lead.post(f"triggers/{first.json()['id']}/dry-run?ticket=999999").status_code == 404

    off = lead.patch(f"triggers/{ids[0]}", {"is_active": False})
    assert off.json()["is_active"] is False
    assert lead.delete(f"triggers/{ids[0]}").status_code == 204
    assert list(Trigger.objects.values_list("name", flat=True)) == ["Urgent words"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"conditions": {"all": [{"field": "priority", "op": "is", "value": "huge"}]}}, "conditions.all[0].value"),
        ({"actions": [{"action": "set_team", "team_id": 424242}]}, "actions[0].team_id"),
    ],
)
def test_bad_rules_are_422_naming_the_part(api_client, change, field):
    assert_problem(api_client(role="admin").post("triggers", {**RULE, **change}), 422, field=field)
    assert not Trigger.objects.exists()


def test_agents_and_viewers_are_refused(api_client, make_ticket):
    for role in ("agent", "product"):
        client = api_client(role=role)
        assert_problem(client.get("triggers"), 403)
        assert_problem(client.post("triggers", RULE), 403)
    assert not Trigger.objects.exists()
