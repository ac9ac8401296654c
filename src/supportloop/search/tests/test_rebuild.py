"""search_rebuild rebuilds in batches and resumes; the seed hook indexes rows written without the services."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from supportloop.accounts.choices import Role
from supportloop.search.engine import search
from supportloop.search.models import RebuildProgress, SearchDocument
from supportloop.search.seeding import index_missing
from supportloop.tickets.services.tickets import ticket_create

pytestmark = pytest.mark.django_db


def test_rebuild_restores_a_lost_index_in_batches(make_user):
    agent = make_user(Role.AGENT)
    tickets = [ticket_create(subject=f"Invoice {i}", body="invoice", requester_email="a@x.example") for i in range(5)]
    SearchDocument.objects.filter(kind="ticket").delete()
    assert search(user=agent, q="invoice").hits == []
    out = io.StringIO()
    call_command("search_rebuild", kind=["ticket"], batch_size=2, stdout=out)
    assert "5/5" in out.getvalue()
    assert {h.obj.number for h in search(user=agent, q="invoice").hits} == {t.number for t in tickets}
    progress = RebuildProgress.objects.get(kind="ticket")
    assert progress.finished_at is not None and progress.last_id == tickets[-1].pk


def test_an_interrupted_rebuild_resumes_after_its_last_batch(make_user, monkeypatch):
    from supportloop.search.management.commands import search_rebuild

    tickets = [ticket_create(subject=f"Invoice {i}", body="invoice", requester_email="a@x.example") for i in range(5)]
    SearchDocument.objects.filter(kind="ticket").delete()
    calls = []
    real = search_rebuild.index_objects

    def failing(kind, ids):
        calls.append(list(ids))
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(kind, ids)

    monkeypatch.setattr(search_rebuild, "index_objects", failing)
    with pytest.raises(RuntimeError):
        call_command("search_rebuild", kind=["ticket"], batch_size=2, stdout=io.StringIO())
    assert RebuildProgress.objects.get(kind="ticket").last_id == tickets[1].pk  # the first batch committed
    calls.clear()
    monkeypatch.setattr(search_rebuild, "index_objects", real)
    call_command("search_rebuild", kind=["ticket"], batch_size=2, stdout=io.StringIO())
    assert SearchDocument.objects.filter(kind="ticket").count() == 5


def test_the_seed_hook_indexes_only_what_has_no_row():
    tickets = [ticket_create(subject=f"Invoice {i}", body="invoice", requester_email="a@x.example") for i in range(3)]
    SearchDocument.objects.filter(kind="ticket", object_id=tickets[1].pk).delete()
    assert index_missing("ticket") == 1
    assert index_missing("ticket") == 0


def _delete_behind_the_services(ticket) -> None:
    """What a DBA's DELETE does: the ticket and its rows go, its index row stays (no service ran)."""
    from django.db import connection

    from supportloop.tickets.models import Message, Ticket

    Ticket.tags.through.objects.filter(ticket_id=ticket.pk).delete()
    with connection.cursor() as cursor:  # a raw DELETE: no service, no index hook
        cursor.execute(
            "DELETE FROM tickets_attachment WHERE message_id IN (SELECT id FROM tickets_message WHERE ticket_id = %s)",
            [ticket.pk],
        )
    Message.objects.filter(ticket_id=ticket.pk)._raw_delete(Message.objects.db)
    Ticket.objects.filter(pk=ticket.pk)._raw_delete(Ticket.objects.db)


def test_rebuild_removes_index_rows_of_objects_deleted_outside_the_services(make_user):
    agent = make_user(Role.AGENT)
    tickets = [ticket_create(subject=f"Invoice {i}", body="invoice", requester_email="a@x.example") for i in range(5)]
    for gone in (tickets[0], tickets[3]):
        _delete_behind_the_services(gone)
    assert SearchDocument.objects.filter(kind="ticket").count() == 5  # the orphans are still there
    out = io.StringIO()
    call_command("search_rebuild", kind=["ticket"], batch_size=2, orphan_batch_size=2, stdout=out)
    kept = {t.pk for t in (tickets[1], tickets[2], tickets[4])}
    assert set(SearchDocument.objects.filter(kind="ticket").values_list("object_id", flat=True)) == kept
    assert "2 orphaned index rows removed" in out.getvalue()
    assert {h.obj.number for h in search(user=agent, q="invoice").hits} == {t.number for t in tickets if t.pk in kept}


def test_orphan_sweep_works_in_batches_and_leaves_live_rows(monkeypatch):
    from supportloop.search import engine

    tickets = [ticket_create(subject=f"Refund {i}", body="refund", requester_email="b@x.example") for i in range(5)]
    orphan_row = SearchDocument.objects.get(kind="ticket", object_id=tickets[4].pk).pk
    _delete_behind_the_services(tickets[4])
    batches = []
    assert engine.orphans_delete("ticket", batch=2, progress=lambda seen, deleted: batches.append((seen, deleted))) == 1
    assert batches == [(2, 0), (4, 0), (5, 1)]
    assert engine.orphans_delete("ticket", batch=2) == 0
    if engine._postgres():
        return
    from django.db import connection

    with connection.cursor() as cursor:  # SQLite: the FTS5 row went with it
        cursor.execute("SELECT count(*) FROM search_fts WHERE rowid = %s", [orphan_row])
        assert cursor.fetchone()[0] == 0
