"""The feedback API after its split: /items and /ranking are one operation body at two addresses, the digest
mail is queued by a feedback service, and the tag-quality report keeps its address under its own router."""

from __future__ import annotations

import ast
import pathlib

from django.core import mail

from supportloop.accounts.choices import Role
from supportloop.api.urls import api
from supportloop.feedback.services import feedback_item_create

ROUTERS = pathlib.Path(__file__).resolve().parents[1] / "routers"


def test_items_and_ranking_answer_the_same_rows_for_the_same_query(api_client):
    pm = api_client(role=Role.PRODUCT)
    for title in ("Excel export", "Dark mode", "SSO"):
        feedback_item_create(kind="feature_request", title=title, actor=pm.user)
    for params in ({}, {"sort": "title", "order": "asc"}, {"q": "export"}, {"limit": 1, "offset": 1}):
        items, ranking = pm.get("feedback/items", params), pm.get("feedback/ranking", params)
        assert items.status_code == ranking.status_code == 200
        assert items.json() == ranking.json()
    assert [row["title"] for row in pm.get("feedback/items", {"sort": "title", "order": "asc"}).json()["items"]] == [
        "Dark mode",
        "Excel export",
        "SSO",
    ]


def test_digest_send_queues_the_mail_through_the_service(api_client, django_capture_on_commit_callbacks):
    pm = api_client(role=Role.PRODUCT)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = pm.post("feedback/digest/send?week_start=2026-11-16")
    assert r.status_code == 202 and r.json() == {"queued": True}
    assert len(callbacks) == 1  # enqueued after commit, not during the request's transaction
    assert [m.to[0] for m in mail.outbox] == [pm.user.email]
    source = (ROUTERS / "feedback.py").read_text()
    assert "enqueue" not in source and "tasks" not in source  # the router builds no task itself


def test_tag_quality_report_keeps_its_address_on_the_analytics_router(api_client):
    lead = api_client(role=Role.LEAD)
    r = lead.get("feedback/reports/tag-quality", {"since": "2020-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"})
    assert r.status_code == 200 and r.json() == []
    operation = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]["/api/v1/feedback/reports/tag-quality"]["get"]
    assert operation["tags"] == ["analytics"]


def test_routers_define_no_schemas():
    """Feedback, tickets and analytics schemas live in api/schemas/, not in their routers."""
    for name in ("feedback.py", "tickets.py", "analytics.py"):
        tree = ast.parse((ROUTERS / name).read_text())
        assert [node.name for node in tree.body if isinstance(node, ast.ClassDef)] == [], name
