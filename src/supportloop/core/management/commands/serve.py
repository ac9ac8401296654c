import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve supportloop: gunicorn in production, Django's runserver when SUPPORTLOOP_DEBUG=1."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("SUPPORTLOOP_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))

    def handle(self, *args, **options):
        if settings.DEBUG:
            call_command("runserver", options["bind"], use_reloader=False)
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        subprocess.run([sys.executable, "-m", "gunicorn", "supportloop.wsgi:application", "--bind", options["bind"],
                        "--workers", str(options["workers"])], check=True)
