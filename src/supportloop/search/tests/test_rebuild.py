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
