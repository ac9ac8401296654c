"""Erasing a contact leaves no trace of their address or name in any table, keeps counts, and respects holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.automation.models import Notification
from supportloop.core.errors import Conflict
from supportloop.core.models import Event, EventRedaction
from supportloop.customers.models import BouncedAddress, Contact
from supportloop.customers.services import contact_update
from supportloop.feedback import selectors as feedback_selectors
from supportloop.feedback.services import evidence_add
from supportloop.mail.models import InboundMail, OutboxMessage, Quarantine
from supportloop.privacy.services import contact_erase, contact_export, legal_hold_lift, legal_hold_set
from supportloop.search.models import SearchDocument
from supportloop.surveys.models import SurveyResponse, SurveySend
from supportloop.tickets.models import Attachment, Ticket
from supportloop.tickets.services import ticket_reply

EMAIL = "jane.doe@privacy-test.example"
NAME = "Janet Doemeyer"


def _tables_mentioning(*terms: str) -> dict[str, int]:
    """Every table in the database (not only the models'), every column, as text: rows mentioning a term."""
    found: dict[str, int] = {}
    wanted = [t.lower() for t in terms]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected name
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        text = bytes(value).decode("utf-8", "replace").lower()
                    else:
                        text = str(value).lower()
                    if any(t in text for t in wanted):
                        found[table] = found.get(table, 0) + 1
                        break
    return found


@pytest.fixture
def jane(db, make_contact, make_company, make_ticket, make_item, make_user):
    agent = make_user(Role.AGENT)
    company = make_company("Doemeyer Holdings GmbH", domains=["holdings.example"])
    jane = make_contact(NAME, email=EMAIL, company=company)
    contact_update(contact=jane, actor=agent, attributes={"twitter": "@janet", "note": f"reach {NAME} at {EMAIL}"})
    ticket = make_ticket(requester=jane, subject=f"Export for {NAME}", body=f"Hello, I am {NAME} ({EMAIL}).")
    reply = ticket_reply(ticket=ticket, actor=agent, body=f"Hi Janet, we wrote to {EMAIL}. Regards")
    Attachment.objects.create(
        message=reply, file=ContentFile(b"x", name="janet.txt"), filename=f"{NAME} invoice.pdf", size=1
    )
    item = make_item()
    evidence_add(item=item, actor=agent, ticket=ticket, quote=f"{NAME} wants exports, mail {EMAIL}")
    other = make_contact("Bob Other", company=company)
    other_ticket = make_ticket(requester=other, subject="Bob's question", body=f"My colleague {NAME} asked too")
    evidence_add(item=item, actor=agent, ticket=other_ticket, quote="exports please")
    send = SurveySend.objects.create(
        contact=jane, ticket=ticket, kind="csat", email=EMAIL, expires_at=timezone.now() + timedelta(days=7)
    )
    SurveyResponse.objects.create(
        send=send, kind="csat", score=1, sentiment="bad", comment=f"Signed {NAME}", contact=jane, ticket=ticket
    )
    BouncedAddress.objects.create(email=EMAIL, diagnostic=f"550 {EMAIL} unknown")
    InboundMail.objects.create(message_key="k1", source="imap", sender=f"{NAME} <{EMAIL}>", outcome="ticket")
    Quarantine.objects.create(
        reason="loop", source="imap", sender=EMAIL, subject=f"From {NAME}", raw=f"From: {EMAIL}\r\n\r\nhi".encode()
    )
    OutboxMessage.objects.create(from_email="support@x.example", to=EMAIL, subject=f"Re: {NAME}", body="..")
    Notification.objects.create(user=agent, ticket=ticket, text=f"{NAME} replied")
    return {"contact": jane, "ticket": ticket, "other_ticket": other_ticket, "item": item, "agent": agent}


def test_erase_leaves_no_trace_of_the_address_or_name_in_any_table(jane, make_user):
    admin = make_user(Role.ADMIN)
    before = _tables_mentioning(EMAIL, NAME)
    # The seed really put them everywhere (so the scan below can fail).
    for table in (
        "customers_contact",
        "customers_contactemail",
        "tickets_message",
        "feedback_evidence",
        "core_event",
        "search_searchdocument",
        "mail_quarantine",
        "surveys_surveyresponse",
        "tickets_attachment",
    ):
        assert table in before, table
    item = jane["item"]
    stats_before = feedback_selectors.feedback_item_stats(item=item)

    seq_before = Contact.objects.get(pk=jane["contact"].pk).change_seq
    counts = contact_erase(contact=jane["contact"], actor=admin)

    assert _tables_mentioning(EMAIL, NAME) == {}
    assert _tables_mentioning("Janet") == {}  # the first name in the agent's reply on her ticket too
    jane_after = Contact.objects.get(pk=jane["contact"].pk)
    assert jane_after.name == "Erased contact" and not jane_after.emails.exists()
    # The /changes feed hands the anonymised contact and ticket to clients that copied the originals.
    assert jane_after.change_seq > seq_before
    assert Ticket.objects.get(pk=jane["ticket"].pk).change_seq == jane_after.change_seq
    # Her evidence still counts: the same mentions and unique customers as before.
    stats = feedback_selectors.feedback_item_stats(item=item)
    assert (stats["mentions"], stats["unique_contacts"]) == (stats_before["mentions"], stats_before["unique_contacts"])
    # The other contact's ticket text is kept, the name inside it replaced.
    assert "My colleague [erased] asked too" in jane["other_ticket"].messages.get().body_text
    # One audit event, counts only; the events that held her data were redacted through a recorded redaction.
    erasure = Event.objects.get(verb="privacy.contact_erased")
    assert erasure.changes["messages"] == 1 and erasure.target_label == "Erased contact"
    assert counts["events_redacted"] >= 1
    assert (
        EventRedaction.objects.filter(reason=f"privacy.contact_erased event {erasure.pk}").count()
        == counts["events_redacted"]
    )
    assert not SearchDocument.objects.filter(body__icontains="doemeyer").exists()


def test_erase_can_remove_the_evidence_and_the_counts_follow(jane, make_user):
    admin = make_user(Role.ADMIN)
    contact_erase(contact=jane["contact"], actor=admin, remove_evidence=True)
    stats = feedback_selectors.feedback_item_stats(item=jane["item"])
    assert (stats["mentions"], stats["unique_contacts"]) == (1, 1)


def test_a_legal_hold_refuses_erasure_and_nothing_changes(jane, make_user):
    admin = make_user(Role.ADMIN)
    legal_hold_set(contact=jane["contact"], reason="Litigation 2026-14", actor=admin)
    with pytest.raises(Conflict, match="legal hold"):
        contact_erase(contact=jane["contact"], actor=admin)
    assert Contact.objects.get(pk=jane["contact"].pk).name == NAME
    assert not Event.objects.filter(verb="privacy.contact_erased").exists()
    # A hold on the company covers its contacts too.
    legal_hold_lift(contact=jane["contact"], actor=admin)
    legal_hold_set(company=jane["contact"].company, reason="Audit", actor=admin)
    with pytest.raises(Conflict):
        contact_erase(contact=jane["contact"], actor=admin)
    legal_hold_lift(company=jane["contact"].company, actor=admin)
    contact_erase(contact=jane["contact"], actor=admin)
    assert _tables_mentioning(EMAIL) == {}


def test_the_audit_trail_still_refuses_an_unrecorded_rewrite(jane):
    from django.db import models, transaction

    event = Event.objects.filter(target_type="customers.contact").first()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        models.QuerySet(model=Event).filter(pk=event.pk).update(target_label="forged")


def test_contact_export_holds_tickets_messages_evidence_surveys_and_events(jane, make_user):
    doc = contact_export(contact=jane["contact"], actor=make_user(Role.ADMIN))
    assert doc["emails"] == [EMAIL]
    assert doc["contact"]["name"] == NAME
    [ticket] = doc["tickets"]
    assert len(ticket["messages"]) == 2
    assert doc["evidence"][0]["quote"].startswith(NAME)
    assert doc["survey_responses"][0]["comment"] == f"Signed {NAME}"
    assert any(e["verb"] == "contact.updated" or e["target_type"] == "customers.contact" for e in doc["events"])
    import json

    json.dumps(doc)  # JSON-ready as it is
