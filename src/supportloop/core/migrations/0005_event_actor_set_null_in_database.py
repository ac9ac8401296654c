"""The one change the audit trail allows, actor_id -> NULL, only for a user who no longer exists.

Migration 0004 let any UPDATE through that set actor_id to NULL and changed nothing else, so a client could
erase who did something while that user still existed. Now the database itself sets the actor to NULL when the
user row is deleted (the foreign key becomes ON DELETE SET NULL; Event.actor is DO_NOTHING in Django, so the
ORM issues no UPDATE of its own before the user row is gone), and the triggers allow that UPDATE only when the
referenced user row no longer exists. Every other UPDATE, and every DELETE, is refused as before.

PostgreSQL: the foreign key is replaced (same column, ON DELETE SET NULL, still DEFERRABLE INITIALLY DEFERRED)
and the trigger function rewritten. SQLite cannot alter a foreign key: the table is rebuilt with the same
columns, indexes and data (its FK clause gains ON DELETE SET NULL) and the triggers are created again.
Note for later migrations: a Django rebuild or AlterField of core_event/actor recreates the foreign key without
the ON DELETE action (and on SQLite drops the triggers); core/tests/test_audit_guard.py checks both.
"""

import importlib
import re

from django.conf import settings
from django.db import migrations, models

OLD = importlib.import_module("supportloop.core.migrations.0004_event_append_only_triggers")

CONSTRAINT = "core_event_actor_id_set_null_fk"

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION core_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id')
       AND NOT EXISTS (SELECT 1 FROM {users} WHERE id = OLD.actor_id) THEN
        RETURN NEW;  -- ON DELETE SET NULL of the actor's deleted user row
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % on core_event refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""

SQLITE_UPDATE_TRIGGER = """
CREATE TRIGGER core_event_no_update BEFORE UPDATE ON core_event
WHEN NOT (OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
          AND NEW.id IS OLD.id AND NEW.created_at IS OLD.created_at AND NEW.actor_label IS OLD.actor_label
          AND NEW.verb IS OLD.verb AND NEW.target_type IS OLD.target_type AND NEW.target_id IS OLD.target_id
          AND NEW.target_label IS OLD.target_label AND NEW.changes IS OLD.changes
          AND NOT EXISTS (SELECT 1 FROM {users} WHERE id = OLD.actor_id))
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only: UPDATE on core_event refused');
END
"""


def _users(apps, schema_editor) -> str:
    return schema_editor.quote_name(apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table)


def _postgres_foreign_key(schema_editor, users: str, on_delete: str) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
            "AND a.attnum = ANY(c.conkey) WHERE c.conrelid = 'core_event'::regclass AND c.contype = 'f' "
            "AND a.attname = 'actor_id'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE core_event DROP CONSTRAINT {schema_editor.quote_name(name)}")
        cursor.execute(
            f"ALTER TABLE core_event ADD CONSTRAINT {CONSTRAINT} FOREIGN KEY (actor_id) REFERENCES {users} (id)"
            f"{on_delete} DEFERRABLE INITIALLY DEFERRED"
        )


def _sqlite_rebuild(schema_editor, *, set_null: bool) -> None:
    """Rebuild core_event with its FK clause changed; keep data and indexes; drop the triggers (the caller
    creates them again)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'core_event'")
        table_sql = cursor.fetchone()[0]
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'core_event' AND type = 'index' AND sql IS NOT NULL"
        )
        indexes = [row[0] for row in cursor.fetchall()]
        clause = re.compile(r'("actor_id"[^,]*?REFERENCES\s+"[^"]+"\s*\("id"\))( ON DELETE SET NULL)?')
        new_sql, count = clause.subn(lambda m: m.group(1) + (" ON DELETE SET NULL" if set_null else ""), table_sql)
        if count != 1:
            raise RuntimeError(f"core_event: the actor_id foreign key was not found in {table_sql!r}")
        new_sql = re.sub(r'^CREATE TABLE "core_event"', 'CREATE TABLE "core_event__rebuilt"', new_sql)
        cursor.execute("DROP TRIGGER IF EXISTS core_event_no_update")
        cursor.execute("DROP TRIGGER IF EXISTS core_event_no_delete")
        cursor.execute(new_sql)
        cursor.execute('INSERT INTO "core_event__rebuilt" SELECT * FROM "core_event"')
        cursor.execute('DROP TABLE "core_event"')
        cursor.execute('ALTER TABLE "core_event__rebuilt" RENAME TO "core_event"')
        for sql in indexes:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    users = _users(apps, schema_editor)
    if vendor == "postgresql":
        _postgres_foreign_key(schema_editor, users, " ON DELETE SET NULL")
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES_FUNCTION.format(users=users))
    elif vendor == "sqlite":
        _sqlite_rebuild(schema_editor, set_null=True)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(SQLITE_UPDATE_TRIGGER.format(users=users))
            cursor.execute(OLD.SQLITE_FORWARD[1])  # the DELETE trigger, unchanged


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    users = _users(apps, schema_editor)
    if vendor == "postgresql":
        _postgres_foreign_key(schema_editor, users, "")
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(OLD.POSTGRES_REVERSE)
            cursor.execute(OLD.POSTGRES_FORWARD)
    elif vendor == "sqlite":
        _sqlite_rebuild(schema_editor, set_null=False)
        with schema_editor.connection.cursor() as cursor:
            for sql in OLD.SQLITE_FORWARD:
                cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_event_append_only_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
