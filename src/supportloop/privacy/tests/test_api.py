"""The privacy endpoints: admins only, refusals with problem documents, nothing changed by a refused request."""

from __future__ import annotations

import pytest
from conftest import assert_problem

from supportloop.accounts.choices import Role
from supportloop.core.models import Event
from supportloop.customers.models import Contact
from supportloop.privacy.models import LegalHold, RetentionSettings


@pytest.fixture
def ann(db, make_contact, make_ticket):
    contact = make_contact("Annabel Privacy", email="annabel@privacy.example")
    make_ticket(requester=contact, body="annabel@privacy.example here")
    return contact


@pytest.mark.parametrize("role", [Role.LEAD, Role.AGENT, Role.PRODUCT, Role.VIEWER])
def test_only_admins_may_use_privacy_endpoints(api_client, ann, role):
    client = api_client(role=role)
    base = f"/api/v1/privacy/contacts/{ann.pk}"
    for response in (
        client.get(f"{base}/export"),
        client.post(f"{base}/erase", {"confirm": "ERASE"}),
        client.put(f"{base}/legal-hold", {"reason": "x"}),
        client.get("/api/v1/privacy/retention"),
        client.patch("/api/v1/privacy/retention", {"enabled": True}),
    ):
        assert_problem(response, 403)
    assert Contact.objects.get(pk=ann.pk).name == "Annabel Privacy"
    assert not LegalHold.objects.exists()
    assert not Event.objects.filter(verb__startswith="privacy.").exists()


def test_export_hold_erase_flow(api_client, ann):
    client = api_client(role=Role.ADMIN)
    base = f"/api/v1/privacy/contacts/{ann.pk}"
    export = client.get(f"{base}/export")
    assert export.status_code == 200 and export.json()["emails"] == ["annabel@privacy.example"]
    assert_problem(client.get(f"{base}/legal-hold"), 404)
    assert_problem(client.put(f"{base}/legal-hold", {"reason": ""}), 422, "reason")
    assert client.put(f"{base}/legal-hold", {"reason": "Court order 7"}).json()["reason"] == "Court order 7"
    problem = assert_problem(client.post(f"{base}/erase", {"confirm": "ERASE"}), 409)
    assert "legal hold" in problem["detail"]
    assert client.delete(f"{base}/legal-hold").status_code == 204
    assert_problem(client.delete(f"{base}/legal-hold"), 404)
    assert_problem(client.post(f"{base}/erase", {"confirm": "erase please"}), 422, "confirm")
    assert_problem(client.post(f"{base}/erase", {"confirm": "ERASE", "extra": 1}), 422)
    assert Contact.objects.get(pk=ann.pk).name == "Annabel Privacy"  # nothing erased by refused requests
    erased = client.post(f"{base}/erase", {"confirm": "ERASE"})
    assert erased.status_code == 200 and erased.json()["counts"]["emails"] == 1
    assert Contact.objects.get(pk=ann.pk).name == "Erased contact"
    assert_problem(client.post("/api/v1/privacy/contacts/999999/erase", {"confirm": "ERASE"}), 404)


def test_retention_settings(api_client, db):
    client = api_client(role=Role.ADMIN)
    assert client.get("/api/v1/privacy/retention").json()["enabled"] is False
    assert_problem(client.patch("/api/v1/privacy/retention", {"days": 5}), 422, "days")
    assert_problem(client.patch("/api/v1/privacy/retention", {"action": "burn"}), 422)
    body = client.patch("/api/v1/privacy/retention", {"enabled": True, "days": 90, "action": "delete"}).json()
    assert (body["enabled"], body["days"], body["action"]) == (True, 90, "delete")
    assert RetentionSettings.objects.get().days == 90
