"""Audit events can be redacted for a legal erasure, and only through a recorded EventRedaction.

The triggers of 0005 refused every UPDATE but the actor's ON DELETE SET NULL. Now an UPDATE that changes only
`changes` and `target_label` is let through too when a core_eventredaction row exists for that event (the
privacy app's erasure writes it first, in the same transaction, naming its own audit event as the reason).
Every other UPDATE and every DELETE is refused as before.
"""

import importlib

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

PREVIOUS = importlib.import_module("supportloop.core.migrations.0005_event_actor_set_null_in_database")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION core_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id')
       AND NOT EXISTS (SELECT 1 FROM {users} WHERE id = OLD.actor_id) THEN
        RETURN NEW;  -- ON DELETE SET NULL of the actor's deleted user row
    END IF;
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'changes' - 'target_label') = (to_jsonb(OLD) - 'changes' - 'target_label')
       AND EXISTS (SELECT 1 FROM core_eventredaction WHERE event_id = OLD.id) THEN
        RETURN NEW;  -- a recorded redaction (legal erasure)
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
 AND NOT (NEW.id IS OLD.id AND NEW.created_at IS OLD.created_at AND NEW.actor_label IS OLD.actor_label
          AND NEW.actor_id IS OLD.actor_id AND NEW.verb IS OLD.verb AND NEW.target_type IS OLD.target_type
          AND NEW.target_id IS OLD.target_id
          AND EXISTS (SELECT 1 FROM core_eventredaction WHERE event_id = OLD.id))
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only: UPDATE on core_event refused');
END
"""


def forwards(apps, schema_editor):
    users = PREVIOUS._users(apps, schema_editor)
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTION.format(users=users))
        elif schema_editor.connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS core_event_no_update")
            cursor.execute(SQLITE_UPDATE_TRIGGER.format(users=users))


def backwards(apps, schema_editor):
    users = PREVIOUS._users(apps, schema_editor)
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(PREVIOUS.POSTGRES_FUNCTION.format(users=users))
        elif schema_editor.connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS core_event_no_update")
            cursor.execute(PREVIOUS.SQLITE_UPDATE_TRIGGER.format(users=users))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_event_actor_set_null_in_database"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="EventRedaction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.BigIntegerField(unique=True, verbose_name="event")),
                ("reason", models.CharField(max_length=200, verbose_name="reason")),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="redacted"),
                ),
            ],
            options={
                "verbose_name": "event redaction",
                "verbose_name_plural": "event redactions",
                "ordering": ["-id"],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
