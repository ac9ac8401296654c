"""/health/ready's task_queue check with SUPPORTLOOP_TASKS_BACKEND=rq: the age of the oldest job waiting in RQ's
queue, in a real Redis (the machine's; a database per xdist worker, emptied before and after)."""

from __future__ import annotations

import os

import pytest

from supportloop.core.health import check_task_queue

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw9")
REDIS = f"redis://127.0.0.1:6379/{6 + int(_WORKER[2:] or 0) % 9}"  # databases 6-14, one per test process


@pytest.fixture
def rq_queue(settings):
    import django_rq

    settings.RQ_QUEUES = {"default": {"URL": REDIS}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    queue = django_rq.get_queue("default")
    try:
        queue.connection.ping()
    except Exception as exc:  # noqa: BLE001 - say what is missing
        pytest.fail(f"Redis on 127.0.0.1:6379 is needed for this test: {exc}")
    queue.empty()
    yield queue
    queue.empty()


def test_an_empty_rq_queue_is_healthy(rq_queue):
    result = check_task_queue()
    assert result.state == "ok"
    assert result.detail["queue"] == "rq" and result.detail["ready_tasks"] == 0


def test_a_job_waiting_longer_than_the_limit_fails(rq_queue, settings):
    from supportloop.tickets.tasks import wake_snoozed

    wake_snoozed.enqueue()  # through django-tasks-rq, as the scheduler would
    assert check_task_queue().state == "ok"  # just queued
    settings.SUPPORTLOOP_HEALTH_QUEUE_MAX_AGE_SECONDS = -1
    result = check_task_queue()
    assert result.state == "fail" and result.detail["ready_tasks"] == 1
