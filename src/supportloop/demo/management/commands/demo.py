import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from supportloop.accounts.models import User

DEMO_PASSWORD = "supportloop-demo"  # noqa: S105 - the demo's published password (README), local demo only


class Command(BaseCommand):
    help = "Migrate, seed a demo workspace the first time, and serve it. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("SUPPORTLOOP_BIND", "127.0.0.1:8000"))
        parser.add_argument("--no-serve", action="store_true", help="prepare the workspace but do not serve it")

    def handle(self, *args, **opts):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if not User.objects.filter(username="admin").exists():
            self.stdout.write("Seeding the demo workspace (first run only)…")
            call_command("seed", seed=42, tickets=1500, admin_password=DEMO_PASSWORD)
        else:
            self.stdout.write("Demo workspace already seeded; keeping it.")
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  supportloop is at http://{opts['bind']}/\n"
                f"  sign in as admin / {DEMO_PASSWORD}  (agent: agent / {DEMO_PASSWORD}, "
                f"product manager: pm / {DEMO_PASSWORD})\n"
            )
        )
        if not opts["no_serve"]:
            call_command("serve", bind=opts["bind"])
