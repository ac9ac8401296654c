"""/health/ (liveness) and /health/ready (readiness): status codes, which check failed, what the public sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_the_database(django_assert_num_queries, monkeypatch):
    def down(*args, **kwargs):
        raise AssertionError("liveness touched the database")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", down)
    with django_assert_num_queries(0):
        response = Client().get("/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readiness_is_200_with_every_check_named_when_healthy():
    response = Client().get("/health/ready")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and "failed" not in body
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"
    assert body["checks"]["task_queue"] == "skipped"  # the test suite runs tasks immediately, no queue
    assert set(body["checks"]) >= {"database", "cache", "task_queue", "mail_poll", "quarantine"}
    assert "details" not in body  # nothing beyond names and states for the public
    assert Client().get("/health/ready/").status_code == 200


def test_readiness_is_503_naming_the_database_when_it_is_down(monkeypatch):
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal" (10.0.0.3), port 5432 failed')

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", down)
    response = Client().get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["checks"]["database"] == "fail" and "database" in body["failed"]
    assert b"db.internal" not in response.content and b"10.0.0.3" not in response.content


def test_readiness_fails_on_a_cache_that_does_not_keep_values(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = Client().get("/health/ready")
    assert response.status_code == 503 and response.json()["failed"] == ["cache"]


def test_task_queue_fails_when_no_worker_picks_up_work(settings, make_user):
    from django_tasks_db.models import DBTaskResult

    from supportloop.mail.tasks import mail_poll_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SUPPORTLOOP_HEALTH_QUEUE_MAX_AGE_SECONDS = 300
    mail_poll_task.enqueue()
    body = Client().get("/health/ready").json()
    assert body["checks"]["task_queue"] == "ok"
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=6))  # 6 min waiting > 5 min
    response = Client().get("/health/ready")
    assert response.status_code == 503 and response.json()["failed"] == ["task_queue"]
    # A task scheduled for later is not late: its age counts from its run_after.
    DBTaskResult.objects.update(run_after=timezone.now() + timedelta(minutes=10))
    assert Client().get("/health/ready").status_code == 200

    staff = make_user("admin")
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(minutes=7))
    details = client.get("/health/ready").json()["details"]["task_queue"]
    assert details["ready_tasks"] == 1 and 7 * 60 - 5 <= details["oldest_ready_seconds"] <= 7 * 60 + 5


def test_details_are_for_staff_only(make_user):
    agent = make_user("agent")
    client = Client()
    client.force_login(agent)
    assert "details" not in client.get("/health/ready").json()
    agent.is_staff = True
    agent.save()
    details = client.get("/health/ready").json()["details"]
    assert details["database"]["vendor"] in {"sqlite", "postgresql"}
