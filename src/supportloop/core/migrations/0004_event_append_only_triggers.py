"""The audit trail becomes append-only in the database: UPDATE and DELETE on core_event are refused by a
trigger, whatever the client (ORM bulk calls, raw SQL, a shell).

One change stays allowed: Event.actor is on_delete=SET_NULL, so deleting a user sets actor_id to NULL on their
events (nothing else may change in the same statement; actor_label keeps the name). TRUNCATE (PostgreSQL's
`flush`) fires no row trigger; SQLite's `flush` lifts the triggers in its own transaction
(supportloop.core.dbguard). Note for later migrations: on SQLite, altering core_event rebuilds the table and
drops these triggers; core/tests/test_audit_guard.py checks they still exist.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE FUNCTION core_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- the actor's user was deleted (on_delete=SET_NULL)
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % on core_event refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER core_event_append_only BEFORE UPDATE OR DELETE ON core_event
    FOR EACH ROW EXECUTE FUNCTION core_event_refuse_change();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS core_event_append_only ON core_event;
DROP FUNCTION IF EXISTS core_event_refuse_change();
"""

SQLITE_FORWARD = [
    """
CREATE TRIGGER core_event_no_update BEFORE UPDATE ON core_event
WHEN NOT (OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
          AND NEW.id IS OLD.id AND NEW.created_at IS OLD.created_at AND NEW.actor_label IS OLD.actor_label
          AND NEW.verb IS OLD.verb AND NEW.target_type IS OLD.target_type AND NEW.target_id IS OLD.target_id
          AND NEW.target_label IS OLD.target_label AND NEW.changes IS OLD.changes)
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only: UPDATE on core_event refused');
END
""",
    """
CREATE TRIGGER core_event_no_delete BEFORE DELETE ON core_event
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only: DELETE on core_event refused');
END
""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS core_event_no_update", "DROP TRIGGER IF EXISTS core_event_no_delete"]


class RunSQLOn(migrations.RunSQL):
    """RunSQL for one database vendor; a no-op on the others."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def deconstruct(self):
        name, _args, kwargs = super().deconstruct()
        return name, [], {"vendor": self.vendor, **kwargs}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_rate_counter"),
    ]

    operations = [
        RunSQLOn("postgresql", POSTGRES_FORWARD, POSTGRES_REVERSE),
        RunSQLOn("sqlite", SQLITE_FORWARD, SQLITE_REVERSE),
    ]
