"""Background work inside the demo's own process: a django-tasks database worker and the scheduler, each in a
daemon thread next to the web server, so `make demo` closes the loop (notices, acknowledgements, the digest)
without a second terminal. Production runs `db_worker` and `supportloop scheduler` as processes instead.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.crypto import get_random_string

logger = logging.getLogger("supportloop.demo")


def worker_thread_start(*, interval: float = 0.5, backend_name: str = "default", max_tasks: int | None = None):
    """Start a database task worker in a daemon thread and return the thread (None when the task backend is
    not the database one: the immediate backend needs no worker). `max_tasks` stops it after that many (tests)."""
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.management.commands.db_worker import Worker

    if not isinstance(task_backends[backend_name], DatabaseBackend):
        return None
    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name=backend_name,
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=f"demo-{get_random_string(12)}",
        excluded_queue_names=[],
    )

    def run():
        try:
            worker.run()  # no signal handlers: they belong to the main thread; a daemon thread ends with it
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="demo-task-worker", daemon=True)
    thread.start()
    return thread


def scheduler_thread_start(*, interval: float = 30.0):
    """Run the scheduler's ticks (retries that are due, mail polling, the weekly digest) in a daemon thread."""
    from supportloop.core.schedule import scheduler_tick

    def run():
        while True:
            close_old_connections()
            try:
                scheduler_tick(timezone.now())
            except Exception:  # a failing tick is logged; the next one tries again
                logger.exception("demo scheduler tick failed")
            time.sleep(interval)

    thread = threading.Thread(target=run, name="demo-scheduler", daemon=True)
    thread.start()
    return thread


def worker_run_ready(*, backend_name: str = "default") -> None:
    """Run every task waiting in the database queue, in this thread, then return (the same worker as the demo's
    thread, in batch mode: browser tests drive it between steps)."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=backend_name,
        startup_delay=False,
        max_tasks=None,
        worker_id=f"batch-{get_random_string(12)}",
        excluded_queue_names=[],
    ).run()
