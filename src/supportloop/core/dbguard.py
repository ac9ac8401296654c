"""The database's own guard of the audit trail: triggers on core_event that refuse UPDATE and DELETE.

The triggers are created by migration core 0003 (SQL for PostgreSQL and for SQLite). This module only looks
at them, and lifts them for `flush` on SQLite, the one legitimate way to empty the table:

- PostgreSQL's `flush` is TRUNCATE, which does not fire row triggers, so nothing needs lifting there (and a
  TRUNCATE by hand is not refused: only the owner of the table can run it, and the owner can drop the trigger
  as well, so refusing it would protect against nothing).
- SQLite's `flush` is DELETE FROM, which the trigger refuses. `audit_guard_lifted` drops the triggers and
  creates them again from their own stored SQL, all in one transaction with the flush.

It must not offer a way to rewrite single events: there is none, by design.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

TABLE = "core_event"


def audit_guard_installed(connection) -> bool:
    """Whether the append-only triggers exist on the events table (a SQLite table rebuild would drop them)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND tgname = 'core_event_append_only' AND tgenabled <> 'D'",
                [TABLE],
            )
            return cursor.fetchone()[0] == 1
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                "AND name IN ('core_event_no_update', 'core_event_no_delete')",
                [TABLE],
            )
            return cursor.fetchone()[0] == 2
    return False


@contextmanager
def audit_guard_lifted(connection) -> Iterator[None]:
    """For `flush` only: on SQLite, drop the triggers for the duration of a transaction and restore them."""
    if connection.vendor != "sqlite":
        yield
        return
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        yield
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)
