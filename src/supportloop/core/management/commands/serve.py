import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections


class Command(BaseCommand):
    help = "Serve supportloop: gunicorn in production, Django's runserver when SUPPORTLOOP_DEBUG=1."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("SUPPORTLOOP_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("SUPPORTLOOP_WEB_THREADS", "2")))
        parser.add_argument("--worker-class", default=os.environ.get("SUPPORTLOOP_WEB_WORKER_CLASS", "gthread"))

    def handle(self, *args, **options):
        if settings.DEBUG:
            call_command("runserver", options["bind"], use_reloader=False)
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()
        sys.stdout.flush()
        sys.stderr.flush()
        # gunicorn replaces this process (same pid): a supervisor's SIGTERM (systemd, `docker stop`) reaches the
        # gunicorn master, which stops its workers. A child process would outlive its killed parent and serve on.
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "supportloop.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--worker-class",
            options["worker_class"],
            "--threads",
            str(options["threads"]),
            # Longer than any client keeps an idle connection (nginx's upstream keepalive_timeout is 60 s): a
            # server that closes first races the client's next request on that connection, which then fails
            # with "connection reset" (seen in the load test with agents pausing up to 5 s against 5 s here).
            "--keep-alive",
            "75",
            "--preload",  # the app (and its URLconf, see wsgi.py) loads once in the master; workers fork warm
        ]
        os.execv(sys.executable, argv)  # noqa: S606 - our interpreter and fixed arguments, no shell
