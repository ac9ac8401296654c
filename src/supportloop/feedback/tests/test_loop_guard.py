"""Close-the-loop notices pass the same automatic-mail guard as acknowledgements (issue 10 follow-up): never to a
machine's address, never to one of our own, never to a suppressed address, within the per-recipient limits; each
refusal is recorded per contact. The guard lives in the mail app, above feedback: it reaches feedback through
core.automail, registered from MailConfig.ready(), and no feedback module imports supportloop.mail."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core import mail

from supportloop.core import automail
from supportloop.core.models import Event
from supportloop.feedback.models import ClosingNotice, FeedbackSettings
from supportloop.feedback.services import close_the_loop_preview, close_the_loop_send, evidence_add
from supportloop.feedback.services.loop import LIMIT_RETRY

FEEDBACK = Path(__file__).resolve().parents[1]


@pytest.fixture
def asked(db, contact, ticket_for, item, agent, settings):
    """An item six contacts asked for, each through a ticket: one person and five addresses no automatic mail
    may go to."""
    settings.DEFAULT_FROM_EMAIL = "Support Robot <robot@support.example>"
    FeedbackSettings.objects.update_or_create(pk=1, defaults={"notice_from_email": "news@product.example"})
    from supportloop.customers.services import address_bounce_record

    address_bounce_record(email="gone@people.example", permanent=True, status="5.1.1", diagnostic="user unknown")
    export = item("Export to Excel")
    emails = {
        "person": "ann@people.example",
        "noreply": "noreply@shop.example",
        "daemon": "MAILER-DAEMON@mx.people.example",
        "own": "robot@support.example",
        "notice_sender": "news@product.example",
        "suppressed": "gone@people.example",
    }
    tickets = {}
    for name, email in emails.items():
        person = contact(name.title(), None, language="en", email=email)
        tickets[name] = ticket_for(person)
        evidence_add(item=export, actor=agent, ticket=tickets[name])
    export.status = "shipped"
    export.save(update_fields=["status"])
    return export, emails, tickets


REFUSED = {
    "noreply": "belongs to a machine",
    "daemon": "belongs to a machine",
    "own": "one of our own",
    "notice_sender": "one of our own",
    "suppressed": "bounced permanently",
}


def test_notices_go_only_where_the_guard_allows_and_each_refusal_is_recorded_per_contact(asked):
    item, emails, _tickets = asked
    preview = {r["email"]: r for r in close_the_loop_preview(item=item, kind="shipped")}
    assert {e for e, r in preview.items() if r["will_be_told"]} == {"ann@people.example"}
    for name, words in REFUSED.items():
        assert words in preview[emails[name].lower()]["error"], (name, preview[emails[name].lower()])

    counts = close_the_loop_send(item_id=item.pk, kind="shipped")

    assert [m.to for m in mail.outbox] == [["ann@people.example"]]
    assert counts["sent"] == 1
    notices = {n.email.lower(): n for n in ClosingNotice.objects.filter(item=item)}
    assert notices["ann@people.example"].status == "sent"
    for name, words in REFUSED.items():
        notice = notices[emails[name].lower()]
        assert notice.status == "skipped" and words in notice.error, (name, notice.error)


def test_the_notices_api_shows_each_refused_contact_with_the_reason(asked, api_client):
    from supportloop.accounts.choices import Role

    item, emails, _tickets = asked
    close_the_loop_send(item_id=item.pk, kind="shipped")
    rows = {
        r["email"].lower(): r for r in api_client(role=Role.PRODUCT).get(f"feedback/items/{item.pk}/notices").json()
    }
    assert rows["ann@people.example"]["status"] == "sent"
    for name, words in REFUSED.items():
        row = rows[emails[name].lower()]
        assert row["status"] == "skipped" and words in row["error"], (name, row)


def test_an_attempt_asks_the_guard_again_and_records_its_refusal_on_the_ticket(asked):
    """Queued while the address was fine, bounced before the attempt: the attempt's claim refuses it, the
    refusal is an AutomaticMail row and an event on the contact's ticket."""
    from supportloop.customers.services import address_bounce_record
    from supportloop.mail.models import AutomaticMail

    item, _emails, tickets = asked
    close_the_loop_send(item_id=item.pk, kind="shipped")
    later = ClosingNotice.objects.get(item=item, email="ann@people.example")
    ClosingNotice.objects.filter(pk=later.pk).update(status="pending", attempts=0, sent_at=None)
    mail.outbox.clear()
    address_bounce_record(email="ann@people.example", permanent=True, status="5.1.1", diagnostic="user unknown")

    close_the_loop_send(item_id=item.pk, kind="shipped")

    assert mail.outbox == []
    later.refresh_from_db()
    assert later.status == "skipped" and "bounced permanently" in later.error
    row = AutomaticMail.objects.filter(recipient="ann@people.example", kind="notice").order_by("-id").first()
    assert "bounced permanently" in row.blocked_reason and row.ticket_id == tickets["person"].pk
    assert Event.objects.filter(verb="mail.notice_skipped", target_id=str(tickets["person"].pk)).exists()


def test_a_notice_held_back_by_a_limit_waits_and_goes_once_the_limit_passes(asked, settings):
    from supportloop.mail.models import AutomaticMail

    item, _emails, _tickets = asked
    settings.SUPPORTLOOP_AUTO_MAIL_PER_RECIPIENT_10MIN = 1
    AutomaticMail.objects.create(recipient="ann@people.example", kind="notice")  # one went out a minute ago

    close_the_loop_send(item_id=item.pk, kind="shipped")

    assert mail.outbox == []
    notice = ClosingNotice.objects.get(item=item, email="ann@people.example")
    assert (notice.status, notice.attempts) == ("pending", 0) and notice.error.startswith("limit per recipient")
    assert notice.next_attempt_at > notice.attempted_at + LIMIT_RETRY * 0.9
    preview = {r["email"]: r for r in close_the_loop_preview(item=item, kind="shipped")}
    assert preview["ann@people.example"]["will_be_told"] is True

    AutomaticMail.objects.all().delete()  # ten minutes later
    ClosingNotice.objects.filter(pk=notice.pk).update(next_attempt_at=notice.attempted_at)
    close_the_loop_send(item_id=item.pk, kind="shipped")
    assert [m.to for m in mail.outbox] == [["ann@people.example"]]


def test_without_a_registered_guard_no_notice_goes(asked, monkeypatch):
    item, _emails, _tickets = asked
    monkeypatch.setattr(automail, "_gate", None)
    close_the_loop_send(item_id=item.pk, kind="shipped")
    assert mail.outbox == []
    assert set(ClosingNotice.objects.filter(item=item).values_list("error", flat=True)) == {automail.NO_GATE}


def test_the_mail_app_registers_the_guard():
    from supportloop.mail.services.guard import notice_blocked, notice_claim

    gate = automail.registered_gate()
    assert gate is not None and (gate.blocked, gate.claim) == (notice_blocked, notice_claim)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):  # every import, at module level or inside a function
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "supportloop":
                found.update(f"supportloop.{alias.name}" for alias in node.names)
    return found


def test_no_feedback_module_imports_the_mail_app():
    modules = [p for p in FEEDBACK.rglob("*.py") if "tests" not in p.relative_to(FEEDBACK).parts]
    assert len(modules) > 10
    offenders = {
        str(p.relative_to(FEEDBACK)): sorted(
            m for m in _imports(p) if m == "supportloop.mail" or m.startswith("supportloop.mail.")
        )
        for p in modules
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    core = Path(automail.__file__)
    assert not any(m.startswith("supportloop.mail") for m in _imports(core))
