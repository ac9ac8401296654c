"""The feedback API: role rules, CRUD, evidence, bugs, merge, status with notify, ranking, export, roadmap privacy."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from conftest import assert_problem
from django.core import mail
from django.test import Client
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.analytics.rollups import analytics_rebuild
from supportloop.feedback.models import Evidence, FeedbackItem
from supportloop.feedback.services import evidence_add, feedback_item_create, feedback_item_set_status


@pytest.fixture
def setup(db, company, contact, ticket_for, feature, make_user):
    acme = company("Hidden Corp", "enterprise", 4200)
    secret = contact("Secret Person", acme, email="secret.person@hiddencorp.example")
    ticket = ticket_for(secret, body="We =really= need Excel export")
    return {"acme": acme, "secret": secret, "ticket": ticket, "feature": feature}


def test_role_rules(api_client, setup):
    viewer, agent, pm, lead = (api_client(role=r) for r in (Role.VIEWER, Role.AGENT, Role.PRODUCT, Role.LEAD))
    item = feedback_item_create(kind="feature_request", title="Excel export", actor=pm.user)
    # Everyone reads.
    for client in (viewer, agent, pm, lead):
        assert client.get("feedback/ranking").status_code == 200
        assert client.get(f"feedback/items/{item.pk}").status_code == 200
    # Viewers write nothing.
    assert_problem(viewer.post("feedback/items", {"title": "x"}), 403)
    assert_problem(viewer.post(f"feedback/items/{item.pk}/evidence", {"source": "call"}), 403)
    # Agents add evidence and file bugs, but do not own statuses, merges or exports.
    assert (
        agent.post(f"feedback/items/{item.pk}/evidence", {"ticket_number": setup["ticket"].number}).status_code == 201
    )
    assert_problem(agent.post(f"feedback/items/{item.pk}/status", {"status": "planned"}), 403)
    assert_problem(agent.patch(f"feedback/items/{item.pk}", {"title": "y"}), 403)
    assert_problem(agent.get(f"feedback/items/{item.pk}/requesters.csv"), 403)
    # Product managers own statuses; leads may export.
    assert pm.post(f"feedback/items/{item.pk}/status", {"status": "planned"}).status_code == 200
    assert lead.get(f"feedback/items/{item.pk}/requesters.csv").status_code == 200
    assert_problem(lead.post(f"feedback/items/{item.pk}/status", {"status": "new"}), 403)
    # Settings: admins only.
    assert_problem(pm.patch("feedback/settings", {"w_mrr": 5}), 403)
    admin = api_client(role=Role.ADMIN)
    assert admin.patch("feedback/settings", {"w_mrr": 5}).json()["w_mrr"] == 5
    assert_problem(Client().get("/api/v1/feedback/ranking"), 401)


def test_item_crud_and_validation(api_client, setup):
    pm = api_client(role=Role.PRODUCT)
    r = pm.post(
        "feedback/items",
        {
            "kind": "improvement",
            "title": "Faster export",
            "problem": "As an analyst I need exports in seconds so that I can…",
            "proposed_solution": "Stream the file",
            "product_feature": setup["feature"].slug,
            "owner_id": pm.user.pk,
            "is_public": True,
        },
    )
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["product_area"] == setup["feature"].area.slug and data["owner_id"] == pm.user.pk
    assert data["history"][0]["to_status"] == "new" and data["stats"]["mentions"] == 0
    item_id = data["id"]
    assert_problem(pm.post("feedback/items", {"title": "x", "colour": "red"}), 422, field="colour")
    assert_problem(pm.post("feedback/items", {"title": "  "}), 422, field="title")
    agent = api_client(role=Role.AGENT)
    assert_problem(pm.patch(f"feedback/items/{item_id}", {"owner_id": agent.user.pk}), 422, field="owner")
    r = pm.patch(f"feedback/items/{item_id}", {"title": "Much faster export", "release_note": "2x faster"})
    assert r.json()["title"] == "Much faster export" and r.json()["release_note"] == "2x faster"
    r = pm.post(f"feedback/items/{item_id}/links", {"url": "https://github.com/acme/app/issues/7", "key": "app#7"})
    assert r.status_code == 201 and r.json()["tracker"] == "github"
    assert pm.get(f"feedback/items/{item_id}").json()["links"][0]["key"] == "app#7"
    assert pm.delete(f"feedback/items/{item_id}").status_code == 204
    assert not FeedbackItem.objects.filter(pk=item_id).exists()
    assert_problem(pm.get(f"feedback/items/{item_id}"), 404)


def test_evidence_add_remove_and_ranking(api_client, setup):
    agent, pm = api_client(role=Role.AGENT), api_client(role=Role.PRODUCT)
    item = feedback_item_create(kind="feature_request", title="Excel export", actor=pm.user)
    message = setup["ticket"].messages.first()
    long_ago = (timezone.now() - timedelta(days=200)).replace(microsecond=0)
    r = agent.post(f"feedback/items/{item.pk}/evidence", {"message_id": message.pk, "importance": "blocker"})
    assert r.status_code == 201, r.content
    ev = r.json()
    assert ev["contact_name"] == "Secret Person" and ev["company_plan"] == "enterprise"
    assert ev["company_mrr"] == "4200.00" and ev["quote"] == "We =really= need Excel export"
    assert ev["ticket_number"] == setup["ticket"].number
    assert_problem(agent.post(f"feedback/items/{item.pk}/evidence", {"message_id": message.pk}), 409, field="message")
    assert_problem(agent.post(f"feedback/items/{item.pk}/evidence", {"quote": "hm"}), 422, field="source")
    r = agent.post(
        f"feedback/items/{item.pk}/evidence",
        {"source": "Sales call", "contact_id": setup["secret"].pk, "heard_at": long_ago.isoformat()},
    )
    assert r.status_code == 201
    # Heard at the call's date, linked now, by the agent.
    assert (
        r.json()["created_at"].startswith(long_ago.strftime("%Y-%m-%dT%H:%M"))
        and r.json()["linked_by_id"] == agent.user.pk
    )
    assert r.json()["linked_at"] > r.json()["created_at"]
    rows = agent.get("feedback/ranking", {"sort": "mrr", "plan": ["enterprise"]}).json()
    assert rows["total"] == 1
    row = rows["items"][0]
    assert (row["mentions"], row["unique_contacts"], row["unique_companies"], row["mrr"]) == (2, 1, 1, "4200.00")
    assert row["first_heard"].startswith(long_ago.strftime("%Y-%m-%d"))
    assert len(row["weekly"]) == 12 and row["weekly"][-1] == 1  # the call was heard long before the 12 weeks
    assert_problem(agent.get("feedback/ranking", {"sort": "colour"}), 422)
    assert len(agent.get(f"feedback/items/{item.pk}/evidence").json()) == 2
    assert agent.delete(f"feedback/evidence/{ev['id']}").status_code == 204
    assert agent.get("feedback/ranking").json()["items"][0]["mentions"] == 1


def test_bug_filing_names_missing_fields(api_client, setup):
    agent = api_client(role=Role.AGENT)
    r = agent.post(
        "feedback/bugs",
        {
            "title": "Export blank",
            "ticket_number": setup["ticket"].number,
            "product_feature": setup["feature"].slug,
            "version": "2.5",
            "environment_browser": "Chrome",
            "environment_os": "Windows",
            "environment_device": "Desktop",
            "environment_plan": "pro",
            "severity": "minor",
            "frequency": "often",
            "steps": "Click export",
            "expected": "",
            "actual": "",
        },
    )
    body = assert_problem(r, 422, field="actual")
    assert "expected" not in body["errors"] and "actual" in body["detail"]
    r = agent.post(
        "feedback/bugs",
        {
            "title": "Export blank",
            "ticket_number": setup["ticket"].number,
            "product_feature": setup["feature"].slug,
            "version": "2.5",
            "environment_browser": "Chrome",
            "environment_os": "Windows",
            "environment_device": "Desktop",
            "environment_plan": "pro",
            "severity": "minor",
            "frequency": "often",
            "steps": "Click export",
            "expected": "A file",
            "actual": "Blank page",
        },
    )
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["kind"] == "bug" and data["bug_report"]["severity"] == "minor"
    assert data["stats"]["unique_contacts"] == 1
    picks = agent.get("feedback/bug-picklists").json()
    assert "Chrome" in picks["environment_browser"] and "critical" in picks["severity"]


def test_merge_status_notify_preview_and_export(
    api_client, setup, contact, ticket_for, django_capture_on_commit_callbacks
):
    pm, agent = api_client(role=Role.PRODUCT), api_client(role=Role.AGENT)
    a = feedback_item_create(kind="feature_request", title="Excel export", actor=pm.user)
    b = feedback_item_create(kind="feature_request", title="XLSX", actor=pm.user)
    evidence_add(item=a, actor=agent.user, ticket=setup["ticket"])
    other = contact("Other Person", setup["acme"], email="other@hiddencorp.example")
    evidence_add(item=b, actor=agent.user, ticket=ticket_for(other))
    evidence_add(item=b, actor=agent.user, source="Call", contact=setup["secret"], quote='=HYPERLINK("x")')
    assert_problem(pm.post(f"feedback/items/{a.pk}/merge", {"target_id": a.pk}), 422, field="target")
    assert_problem(pm.post(f"feedback/items/{a.pk}/merge", {"target_id": 999999}), 422, field="target_id")
    r = pm.post(f"feedback/items/{b.pk}/merge", {"target_id": a.pk})
    assert r.status_code == 200 and r.json()["id"] == a.pk and r.json()["merged_item_ids"] == [b.pk]
    assert r.json()["stats"]["unique_contacts"] == 2 and r.json()["stats"]["mentions"] == 3
    assert_problem(pm.post(f"feedback/items/{b.pk}/merge", {"target_id": a.pk}), 409, field="source")
    assert pm.get(f"feedback/items/{b.pk}").json()["merged_into_id"] == a.pk
    # Preview before shipping: two people, one sample message.
    pm.patch(f"feedback/items/{a.pk}", {"release_note": "Export › Excel is live."})
    preview = pm.get(f"feedback/items/{a.pk}/notify-preview", {"kind": "shipped"}).json()
    assert preview["will_be_told"] == 2 and "Export › Excel is live." in preview["sample_body"]
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        r = pm.post(f"feedback/items/{a.pk}/status", {"status": "shipped", "note": "v2.6"})
    assert r.status_code == 200 and r.json()["status"] == "shipped"
    assert sorted(m.to[0] for m in mail.outbox) == ["other@hiddencorp.example", "secret.person@hiddencorp.example"]
    with django_capture_on_commit_callbacks(execute=True):
        pm.post(f"feedback/items/{a.pk}/status", {"status": "shipped", "notify": True})
    assert len(mail.outbox) == 2
    # Requester export, with formula injection neutralised.
    r = pm.get(f"feedback/items/{a.pk}/requesters.csv")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert len(rows) == 3
    first = next(row for row in rows if row["source"] == "" and row["contact"] == "Secret Person")
    assert (first["company"], first["plan"], first["mrr"]) == ("Hidden Corp", "enterprise", "4200.00")
    assert first["quote"] == "We =really= need Excel export"
    call = next(row for row in rows if row["source"] == "Call")
    assert call["quote"] == '\'=HYPERLINK("x")'
    assert Evidence.objects.filter(item=a).count() == 3


def test_public_roadmap_is_anonymous_and_leaks_no_customer_data(api_client, setup, django_capture_on_commit_callbacks):
    pm = api_client(role=Role.PRODUCT)
    public = feedback_item_create(
        kind="feature_request",
        title="Excel export",
        is_public=True,
        actor=pm.user,
        problem="As Secret Person at Hidden Corp I need…",
    )
    private = feedback_item_create(kind="feature_request", title="Internal admin tool", actor=pm.user)
    evidence_add(item=public, actor=pm.user, ticket=setup["ticket"], quote="Secret Person says hi")
    feedback_item_set_status(item=public, status="planned", actor=pm.user)
    feedback_item_set_status(item=private, status="in_progress", actor=pm.user)
    r = Client().get("/api/v1/feedback/public/roadmap")
    assert r.status_code == 200
    text = r.content.decode()
    for secret in ("Secret Person", "Hidden Corp", "hiddencorp", "4200", "Internal admin tool", "As Secret"):
        assert secret not in text
    data = r.json()
    assert [i["title"] for i in data["planned"]] == ["Excel export"] and data["in_progress"] == []
    assert set(data["planned"][0]) == {"id", "title", "kind", "status", "product_area", "shipped_at", "release_note"}
    team = pm.get("feedback/roadmap").json()
    assert [i["title"] for i in team["in_progress"]] == ["Internal admin tool"]
    assert team["planned"][0]["unique_contacts"] == 1 and team["planned"][0]["mrr"] == "4200.00"


def test_digest_and_tag_quality_endpoints(api_client, setup):
    viewer = api_client(role=Role.VIEWER)
    digest = viewer.get("feedback/digest").json()
    assert set(digest) >= {"new_by_area", "growing_by_area", "bugs_by_severity", "shipped", "customers_told"}
    analytics_rebuild()  # the report counts whole days from the analytics rollup, which the setup's writes skipped
    r = viewer.get("feedback/reports/tag-quality", {"since": "2020-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"})
    assert r.status_code == 200
    assert r.json()[0]["tickets"] == 1 and r.json()[0]["without_area"] == 1
    assert_problem(
        viewer.get("feedback/reports/tag-quality", {"since": "2100-01-01T00:00:00Z", "until": "2020-01-01T00:00:00Z"}),
        422,
    )


def test_period_queries_accept_offsets_postgresql_cannot_store(api_client, setup):
    # "+23:45" is valid ISO 8601 but beyond PostgreSQL's ±15:59; the API folds it into UTC (found by schemathesis).
    client = api_client(role=Role.PRODUCT)
    since, until = "2026-01-01T00:00:00+23:45", "2030-01-01T00:00:00-23:45"
    response = client.get("feedback/ranking", {"since": since, "until": until})
    assert response.status_code == 200, response.content
    response = client.get("feedback/reports/tag-quality", {"since": since, "until": until})
    assert response.status_code == 200, response.content


def test_notices_show_each_contact_told_queued_or_failed_and_a_manager_retries_the_failed(
    api_client, setup, contact, ticket_for, settings, django_capture_on_commit_callbacks
):
    from supportloop.feedback.models import ClosingNotice

    pm, agent = api_client(role=Role.PRODUCT), api_client(role=Role.AGENT)
    item = feedback_item_create(kind="feature_request", title="Excel export", actor=pm.user)
    evidence_add(item=item, actor=agent.user, ticket=setup["ticket"])
    other = contact("Other Person", setup["acme"], email="other@hiddencorp.example")
    evidence_add(item=item, actor=agent.user, ticket=ticket_for(other))
    settings.EMAIL_BACKEND = "supportloop.feedback.tests.failing_backend.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        pm.post(f"feedback/items/{item.pk}/status", {"status": "shipped", "release_note": "Live."})
    # Other Person's notice gives up after its last attempt; Secret Person's is queued for another try.
    ClosingNotice.objects.filter(email="other@hiddencorp.example").update(status="failed", attempts=5)
    rows = {r["email"]: r for r in agent.get(f"feedback/items/{item.pk}/notices").json()}
    assert {e: (r["status"], r["attempts"], r["max_attempts"]) for e, r in rows.items()} == {
        "secret.person@hiddencorp.example": ("pending", 1, 5),
        "other@hiddencorp.example": ("failed", 5, 5),
    }
    queued = rows["secret.person@hiddencorp.example"]
    assert queued["error"] == "ConnectionRefusedError: SMTP server unavailable"
    assert queued["next_attempt_at"] and queued["last_attempt_at"] and queued["message_id"]
    assert queued["ticket_number"] == setup["ticket"].number
    preview = pm.get(f"feedback/items/{item.pk}/notify-preview", {"kind": "shipped"}).json()
    assert preview["will_be_told"] == 1  # the queued one; the failed one only on a retry
    assert {r["email"]: r["notice_status"] for r in preview["recipients"]} == {
        "secret.person@hiddencorp.example": "pending",
        "other@hiddencorp.example": "failed",
    }

    assert_problem(agent.post(f"feedback/items/{item.pk}/notices/retry", {}), 403)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        r = pm.post(f"feedback/items/{item.pk}/notices/retry", {"kind": "shipped"})
    failed_id = rows["other@hiddencorp.example"]["id"]
    assert r.status_code == 202 and r.json() == {"retried": [failed_id]}
    assert [m.to for m in mail.outbox] == [["other@hiddencorp.example"]]
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{rows['other@hiddencorp.example']['message_id']}>"
    assert ClosingNotice.objects.get(pk=failed_id).status == "sent"
    assert_problem(pm.post(f"feedback/items/{item.pk}/notices/retry", {}), 409, field="notices")
