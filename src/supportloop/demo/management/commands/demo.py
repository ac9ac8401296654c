import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from supportloop.accounts.models import User
from supportloop.mail.outbox import OUTBOX_BACKEND

DEMO_PASSWORD = "supportloop-demo"  # noqa: S105 - the demo's published password (README), local demo only
# The five roles' logins the demo seeds (demo.phrases.STAFF), each with DEMO_PASSWORD.
DEMO_LOGINS = (
    ("admin", "admin"),
    ("lead", "team lead"),
    ("agent", "agent"),
    ("pm", "product manager"),
    ("viewer", "viewer (read-only)"),
)


class Command(BaseCommand):
    help = (
        "Migrate, seed a demo workspace the first time, and serve it with a task worker in-process and mail kept "
        "in the Outbox (never sent). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("SUPPORTLOOP_BIND", "127.0.0.1:8000"))
        parser.add_argument("--no-serve", action="store_true", help="prepare the workspace but do not serve it")

    def handle(self, *args, **opts):
        # The demo's customers are made up: whatever EMAIL_BACKEND says, mail stays in the Outbox.
        settings.EMAIL_BACKEND = OUTBOX_BACKEND
        settings.SUPPORTLOOP_OUTBOX = True
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if not User.objects.filter(username="admin").exists():
            self.stdout.write("Seeding the demo workspace (first run only)…")
            call_command("seed", seed=42, tickets=1500, admin_password=DEMO_PASSWORD)
        else:
            self.stdout.write("Demo workspace already seeded; keeping it.")
        logins = "\n".join(f"    {name:<8} {DEMO_PASSWORD}   {role}" for name, role in DEMO_LOGINS)
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  supportloop is at http://{opts['bind']}/\n"
                f"  sign in as (login, password, role):\n{logins}\n"
                f"  mail is kept in the Outbox (http://{opts['bind']}/outbox/, admins), never sent\n"
            )
        )
        if not opts["no_serve"]:
            self._background_start()
            call_command("serve", bind=opts["bind"])

    def _background_start(self):
        from supportloop.demo.worker import scheduler_thread_start, worker_thread_start

        if worker_thread_start() is not None:
            self.stdout.write("  a task worker runs in this process (closing the loop, acknowledgements)")
        scheduler_thread_start()
