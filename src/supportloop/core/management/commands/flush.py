"""Django's `flush`, able to empty the append-only events table (test teardown runs it after every
transactional test). See supportloop.core.dbguard for what is lifted, where and why."""

from django.core.management.commands import flush
from django.db import connections

from supportloop.core.dbguard import audit_guard_lifted


class Command(flush.Command):
    def handle(self, **options):
        with audit_guard_lifted(connections[options["database"]]):
            super().handle(**options)
