"""The `supportloop` command: a thin layer over manage.py with the everyday verbs.

supportloop demo        migrate, seed a demo workspace (once) and serve it on 127.0.0.1:8000
supportloop serve       serve the app (gunicorn when not in debug, runserver otherwise)
supportloop migrate     apply database migrations
supportloop createadmin create an admin user
supportloop seed        seed demo or scale data (see --help)
supportloop worker      run the background task worker (db_worker, or RQ's rqworker with SUPPORTLOOP_TASKS_BACKEND=rq)
supportloop scheduler   enqueue periodic jobs for the worker (mail polling, the weekly digest)
supportloop check       Django system checks (add --deploy for production checks)
supportloop <anything>  any other manage.py command
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportloop.settings")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    verb, rest = argv[0], argv[1:]
    from django.core.management import execute_from_command_line

    mapping = {"worker": "db_worker", "serve": "serve", "demo": "demo", "createadmin": "createadmin"}
    if verb == "worker":
        from django.conf import settings

        if settings.SUPPORTLOOP_TASKS_BACKEND == "rq":
            # RQ's worker with django-tasks-rq's job class (it runs Task objects); --with-scheduler moves deferred
            # tasks (run_after) to the queue when due: one worker at a time holds RQ's scheduler lock.
            execute_from_command_line(
                ["supportloop", "rqworker", "--job-class", "django_tasks_rq.Job", "--with-scheduler", *rest]
            )
            return
    execute_from_command_line(["supportloop", mapping.get(verb, verb), *rest])


if __name__ == "__main__":
    main()
