"""The audit trail is append-only in the database itself, not only in the ORM: triggers on core_event refuse
UPDATE and DELETE from any client (bulk QuerySet calls, raw SQL), on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from supportloop.accounts import services as accounts
from supportloop.core.dbguard import audit_guard_installed
from supportloop.core.models import AppendOnlyError, Event
from supportloop.core.services import event_record


@pytest.fixture
def event(db):
    actor = accounts.user_create(username="auditor", role="admin")
    return event_record(actor=actor, verb="thing.done", target=actor, changes={"a": [1, 2]})


def _unchanged(event: Event) -> bool:
    row = Event.objects.filter(pk=event.pk).values("verb", "changes", "created_at", "actor_id").get()
    return row == {
        "verb": "thing.done",
        "changes": {"a": [1, 2]},
        "created_at": event.created_at,
        "actor_id": event.actor_id,
    }


def test_the_database_has_the_guard(db):
    assert audit_guard_installed(connection)


def test_a_bulk_queryset_update_cannot_rewrite_an_event(event):
    with pytest.raises((AppendOnlyError, DatabaseError)), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(verb="rewritten")
    assert _unchanged(event)


def test_the_database_refuses_an_update_that_bypasses_the_orm_guard(event):
    # _base_manager is a plain QuerySet: only the database trigger stands in the way.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event._base_manager.filter(pk=event.pk).update(verb="rewritten", changes={})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        # Nulling the actor is allowed only on its own (a deleted user); together with another change it is not.
        Event._base_manager.filter(pk=event.pk).update(actor=None, verb="rewritten")
    assert _unchanged(event)


def test_the_database_refuses_deletes(event):
    with pytest.raises((AppendOnlyError, DatabaseError)), transaction.atomic():
        Event.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event._base_manager.filter(pk=event.pk)._raw_delete(connection.alias)
    assert _unchanged(event)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_event SET verb = 'rewritten' WHERE id = %s",
        "UPDATE core_event SET created_at = created_at WHERE id = %s",  # even a no-op rewrite
        "DELETE FROM core_event WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_an_event(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert _unchanged(event)


def test_deleting_a_user_keeps_their_events_with_the_name(event):
    """Event.actor is on_delete=SET_NULL: the one update the triggers allow (the label keeps who it was)."""
    event.actor.delete()
    row = Event.objects.get(pk=event.pk)
    assert row.actor_id is None and row.actor_label == "auditor" and row.verb == "thing.done"


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_database_and_keeps_the_guard():
    """Test teardown of transactional tests runs `flush` (DELETE on SQLite, TRUNCATE on PostgreSQL)."""
    actor = accounts.user_create(username="flushed", role="admin")
    event_record(actor=actor, verb="thing.done", target=actor)
    call_command("flush", interactive=False, verbosity=0)
    assert not Event.objects.exists()
    assert audit_guard_installed(connection)
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        actor = accounts.user_create(username="again", role="admin")
        event = event_record(actor=actor, verb="thing.done", target=actor)
        cursor.execute("DELETE FROM core_event WHERE id = %s", [event.pk])


# Migration 0005: actor_id -> NULL only once the user row is gone ------------------------------------------


def test_nulling_the_actor_of_a_user_who_still_exists_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event._base_manager.filter(pk=event.pk).update(actor=None)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_event SET actor_id = NULL WHERE id = %s", [event.pk])
    assert _unchanged(event)


def test_deleting_users_who_have_events_keeps_the_events_with_a_null_actor_and_the_guard_holds(event):
    other = accounts.user_create(username="second", role="agent")
    theirs = [event_record(actor=other, verb="thing.done", target=other) for _ in range(3)]
    keeper = accounts.user_create(username="keeper", role="agent")
    kept = event_record(actor=keeper, verb="thing.kept", target=keeper)

    event.actor.delete()  # one user, by instance
    type(other).objects.filter(pk=other.pk).delete()  # one by a bulk delete

    rows = {r["id"]: r for r in Event.objects.values("id", "actor_id", "actor_label", "verb")}
    assert rows[event.pk] == {"id": event.pk, "actor_id": None, "actor_label": "auditor", "verb": "thing.done"}
    assert all(rows[e.pk]["actor_id"] is None and rows[e.pk]["actor_label"] == "second" for e in theirs)
    assert rows[kept.pk]["actor_id"] == keeper.pk  # nobody else's events were touched
    # The events of deleted users are as append-only as any: no other column, no delete.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event._base_manager.filter(pk__in=[e.pk for e in theirs]).update(verb="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_event SET target_label = 'x' WHERE actor_id IS NULL")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_event WHERE id = %s", [event.pk])
    assert Event.objects.filter(verb="thing.done").count() == 4
    assert audit_guard_installed(connection)
