"""Health endpoints for supervisors, load balancers and monitoring.

- `/health/` (liveness): the process answers. Touches neither the database nor the cache, so a database
  outage does not make a supervisor restart healthy web processes.
- `/health/ready` (readiness): runs every registered check and answers 200 when all pass, 503 naming the
  ones that failed. Core registers database, cache and task queue; apps add theirs from `AppConfig.ready()`
  (mail: last successful poll per mailbox, quarantine volume), as with tickets/hooks.py.

What anyone may see: the check names (the same in every installation, documented) and their states
(ok / fail / skipped). A probe needs no more. Counts, ages, mailbox ids and error texts are shown only to
signed-in staff: queue depth and quarantine volume tell an outsider about load and attacks, and error texts
carry host names, user names and paths.

django-health-check was considered and not used: its releases for Django 5.2 on Python 3.11 stop at 4.8 (4.9+
need Python 3.14), its view answers 500 rather than 503 and puts error texts in the public answer, and it
runs synchronous checks on executor threads with connections of their own; our checks are our own anyway.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, F, Min, When
from django.http import JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger("supportloop.health")


@dataclass
class Health:
    state: str  # "ok", "fail" or "skipped" (does not apply here, e.g. no database task queue)
    detail: dict[str, Any] = field(default_factory=dict)  # for staff only


CHECKS: dict[str, Callable[[], Health]] = {}


def register(name: str, check: Callable[[], Health]) -> None:
    """Add a readiness check (idempotent by name; called from AppConfig.ready())."""
    CHECKS[name] = check


def check_database() -> Health:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        ok = cursor.fetchone() == (1,)
    return Health("ok" if ok else "fail", {"vendor": connection.vendor})


def check_cache() -> Health:
    key = f"supportloop:health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return Health("ok" if ok else "fail", {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]})


def check_task_queue() -> Health:
    """The oldest task that is ready to run and not yet picked up by a worker (django-tasks database backend):
    older than SUPPORTLOOP_HEALTH_QUEUE_MAX_AGE_SECONDS means no worker is taking work."""
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    aliases = [alias for alias in settings.TASKS if isinstance(task_backends[alias], DatabaseBackend)]
    if not aliases:
        if any(type(task_backends[alias]).__name__ == "RQBackend" for alias in settings.TASKS):
            return _check_rq_queue()
        return Health("skipped", {"reason": "no database task backend"})
    ready_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    row = (
        DBTaskResult.objects.ready()
        .filter(backend_name__in=aliases)
        .aggregate(oldest=Min(ready_since), count=Count("id"))
    )
    age = (timezone.now() - row["oldest"]).total_seconds() if row["oldest"] else 0.0
    limit = settings.SUPPORTLOOP_HEALTH_QUEUE_MAX_AGE_SECONDS
    return Health(
        "fail" if age > limit else "ok",
        {"ready_tasks": row["count"], "oldest_ready_seconds": round(age), "limit_seconds": limit},
    )


def _check_rq_queue() -> Health:
    """SUPPORTLOOP_TASKS_BACKEND=rq: the oldest job waiting in RQ's queue (its head), against the same limit."""
    import django_rq

    queue = django_rq.get_queue("default")
    head = queue.get_jobs(0, 1)
    oldest = head[0].enqueued_at if head else None
    if oldest is not None and timezone.is_naive(oldest):  # RQ before 2 stored naive UTC
        oldest = oldest.replace(tzinfo=UTC)
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    limit = settings.SUPPORTLOOP_HEALTH_QUEUE_MAX_AGE_SECONDS
    return Health(
        "fail" if age > limit else "ok",
        {"ready_tasks": len(queue), "oldest_ready_seconds": round(age), "limit_seconds": limit, "queue": "rq"},
    )


register("database", check_database)
register("cache", check_cache)
register("task_queue", check_task_queue)


def _run(name: str, check: Callable[[], Health]) -> Health:
    try:
        return check()
    except Exception as exc:  # a failing check is an answer, not an error page
        logger.exception("health check %s failed", name)
        return Health("fail", {"error": type(exc).__name__})


def _is_staff(request) -> bool:
    try:
        user = request.user
        return bool(user.is_authenticated and user.is_active and user.is_staff)
    except Exception:  # noqa: BLE001 - the session store is the database, which may be the thing that is down
        return False


def _answer(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    add_never_cache_headers(response)
    return response


def live(request) -> JsonResponse:
    return _answer({"status": "ok"}, 200)


def ready(request) -> JsonResponse:
    results = {name: _run(name, check) for name, check in CHECKS.items()}
    failed = sorted(name for name, result in results.items() if result.state == "fail")
    body: dict[str, Any] = {
        "status": "fail" if failed else "ok",
        "checks": {name: result.state for name, result in results.items()},
    }
    if failed:
        body["failed"] = failed
    if _is_staff(request):
        body["details"] = {name: result.detail for name, result in results.items()}
    return _answer(body, 503 if failed else 200)
