import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.accounts.services import user_create, user_update
from supportloop.core.errors import DomainError


class Command(BaseCommand):
    help = "Create an admin user (or reset an existing admin's password)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@example.com")
        parser.add_argument("--password", default=os.environ.get("SUPPORTLOOP_ADMIN_PASSWORD"))

    def handle(self, *args, **opts):
        password = opts["password"] or getpass.getpass("Password: ")
        existing = User.objects.filter(username=opts["username"]).first()
        try:
            if existing:
                existing.set_password(password)
                existing.save(update_fields=["password"])
                user_update(user=existing, actor=None, role=Role.ADMIN)
                self.stdout.write(f"Updated admin {existing.username}")
            else:
                user = user_create(username=opts["username"], email=opts["email"], password=password, role=Role.ADMIN)
                self.stdout.write(f"Created admin {user.username}")
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
