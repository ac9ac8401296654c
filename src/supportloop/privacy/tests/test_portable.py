"""The JSON Lines export round-trips the demo workspace into an empty one; bad files are refused whole."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from supportloop.core.models import Event
from supportloop.customers.models import Contact
from supportloop.privacy.portable import PortableError, export_jsonl, exported_models, import_jsonl
from supportloop.search.models import SearchDocument
from supportloop.tickets.models import Attachment, Message, Ticket
from supportloop.tickets.services import ticket_create

NOW = "2026-06-15T12:00:00+00:00"


def _sample() -> dict:
    return {
        "tickets": list(Ticket.objects.order_by("id").values_list("id", "number", "subject", "status", "created_at")),
        "messages": list(Message.objects.order_by("id").values_list("id", "ticket_id", "body_text", "cc")[:200]),
        "events": list(Event.objects.order_by("id").values_list("id", "verb", "target_id", "changes")[:200]),
        "contacts": list(Contact.objects.order_by("id").values_list("id", "name", "attributes", "emails__email")),
        "tags": sorted(Ticket.tags.through.objects.values_list("ticket_id", "tag_id")),
    }


@pytest.fixture
def demo(transactional_db):
    call_command("seed", seed=5, tickets=25, admin_password="pw-demo-1", now=NOW, no_hooks=True)
    Attachment.objects.create(
        message=Message.objects.order_by("id").first(),
        file=ContentFile(b"%PDF-1.4 demo", name="spec.pdf"),
        filename="spec.pdf",
        size=13,
    )


def test_export_then_import_into_an_empty_workspace_round_trips_the_demo(demo):
    out = io.StringIO()
    header = export_jsonl(out)
    before, counts = _sample(), header["counts"]
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + sum(counts.values())
    rows = [json.loads(line) for line in lines[1:]]
    attachment = next(row for row in rows if row["model"] == "tickets.Attachment")
    assert attachment["fields"]["file"]["sha256"] and attachment["fields"]["file"]["path"].endswith("spec.pdf")
    # Parents come first: every ticket line precedes its messages.
    order = [row["model"] for row in rows]
    assert order.index("customers.Contact") < order.index("tickets.Ticket") < order.index("tickets.Message")

    call_command("flush", interactive=False)
    assert not Ticket.objects.exists()
    result = import_jsonl(io.StringIO(out.getvalue()))

    assert {label: n for label, n in result["counts"].items() if n} == {k: n for k, n in counts.items() if n}
    assert _sample() == before
    assert result["changes_cursor"] == header["changes_cursor"] > 0
    assert result["files"] == {"missing": 0, "different": 0}
    assert SearchDocument.objects.filter(kind="ticket").count() == Ticket.objects.count()
    # Sequences and counters follow: a new ticket gets the next number and a fresh id.
    ticket = ticket_create(subject="After import", body="hello", requester_email="new@after.example")
    assert ticket.number == max(n for _, n, *_ in before["tickets"]) + 1
    assert ticket.pk > max(i for i, *_ in before["tickets"])


def test_import_refuses_a_workspace_with_data_and_bad_files_whole(demo):
    out = io.StringIO()
    export_jsonl(out)
    with pytest.raises(PortableError, match="not empty"):
        import_jsonl(io.StringIO(out.getvalue()))
    call_command("flush", interactive=False)
    lines = out.getvalue().splitlines()
    for bad, message in (
        ([lines[0], '{"model": "auth.Permission", "pk": 1, "fields": {}}'], "unknown or excluded model"),
        ([lines[0], '{"model": "tickets.Tag", "pk": 1, "fields": {"name": "x", "evil": 1}}'], "unknown fields"),
        ([lines[0], "not json"], "not JSON"),
        (['{"format": "other"}'], "Not a supportloop export"),
        (lines[:-1], "do not match its header"),
    ):
        with pytest.raises(PortableError, match=message):
            import_jsonl(io.StringIO("\n".join(bad) + "\n"))
        assert not Ticket.objects.exists() and not Event.objects.exists()  # nothing half-imported


def test_every_model_is_exported_or_skipped_on_purpose():
    labels = {m._meta.label for m in exported_models()}
    assert {"tickets.Ticket", "core.Counter", "core.Event", "tickets.Ticket_tags", "privacy.LegalHold"} <= labels
    assert "search.SearchDocument" not in labels
