"""The database's own guard of the audit trail: triggers on core_event, and the one change they let through.

What the database enforces (migrations core 0004 and 0005, SQL for PostgreSQL and for SQLite), whatever the
client (ORM bulk calls, raw SQL, a shell):

- every DELETE of an event is refused;
- every UPDATE is refused, with one exception: setting actor_id to NULL, with no other column changed, when the
  user row it referenced no longer exists. That is the foreign key's ON DELETE SET NULL at work when a user is
  deleted (Event.actor is DO_NOTHING in Django, so the database does it, after the user row is gone); the
  event keeps actor_label, the name. Nulling the actor of a user who still exists is refused.

This module only looks at the guard, and lifts it for `flush` on SQLite, the one legitimate way to empty the
table:

- PostgreSQL's `flush` is TRUNCATE, which does not fire row triggers, so nothing needs lifting there (and a
  TRUNCATE by hand is not refused: only the owner of the table can run it, and the owner can drop the trigger
  as well, so refusing it would protect against nothing).
- SQLite's `flush` is DELETE FROM, which the trigger refuses. `audit_guard_lifted` drops the triggers and
  creates them again from their own stored SQL, all in one transaction with the flush.

It offers no way to rewrite single events. The one rewrite the triggers allow (migration core 0006) is a legal
erasure's: `changes` and `target_label` of an event that has a core_eventredaction row, written first by
core.services.events_redact (the privacy app's contact erasure, docs/privacy.md). The table's owner can still drop the
triggers; the guard stops mistakes and every client without DDL rights, not the database's owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

TABLE = "core_event"


def audit_guard_installed(connection) -> bool:
    """Whether the append-only triggers exist on the events table and the actor's foreign key sets NULL on
    delete (a Django rebuild of the table, or an AlterField of Event.actor, would lose either)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND tgname = 'core_event_append_only' AND tgenabled <> 'D'",
                [TABLE],
            )
            if cursor.fetchone()[0] != 1:
                return False
            cursor.execute(
                "SELECT c.confdeltype FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
                "AND a.attnum = ANY(c.conkey) WHERE c.conrelid = %s::regclass AND c.contype = 'f' "
                "AND a.attname = 'actor_id'",
                [TABLE],
            )
            return [row[0] for row in cursor.fetchall()] == ["n"]  # n: ON DELETE SET NULL
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                "AND name IN ('core_event_no_update', 'core_event_no_delete')",
                [TABLE],
            )
            if cursor.fetchone()[0] != 2:
                return False
            cursor.execute(f"PRAGMA foreign_key_list({TABLE})")
            actions = [
                row[6] for row in cursor.fetchall() if row[3] == "actor_id"
            ]  # (..., from, to, on_update, on_delete, ...)
            return actions == ["SET NULL"]
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
