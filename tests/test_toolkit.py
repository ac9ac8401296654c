"""The test toolkit (tests/supportloop_testing): builders go through the services, raw_mail() is what it says,
and the shipped package never depends on it."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

import supportloop
from supportloop.core.models import Event
from supportloop.feedback.models import ItemStats
from supportloop.mail.parsing import parse_message
from supportloop.tickets.models import TicketStatusCount
from supportloop_testing.mail import raw_mail

pytestmark = pytest.mark.django_db


def test_the_builders_write_through_the_services(make_company, make_contact, make_ticket, make_item):
    acme = make_company("Acme Corp", plan="enterprise", mrr=900)
    ann = make_contact("Ann Lee", company=acme)
    stranger = make_contact("Бо")  # no ASCII in the name: the address still is one
    assert ann.company == acme and ann.primary_email.endswith("@" + acme.domains.get().domain)
    assert stranger.company is None and stranger.primary_email.startswith("contact")

    first = make_ticket(requester=ann, days_ago=3)
    second = make_ticket()  # a new customer writes it
    assert (first.number, second.number) == (1, 2)
    assert first.company == acme and second.requester not in (ann, stranger)
    assert timezone.now() - first.created_at > timedelta(days=2, hours=23)
    assert TicketStatusCount.objects.get(status="new").count == 2

    item = make_item("Dark mode", kind="improvement")
    assert ItemStats.objects.filter(item=item).exists()
    verbs = list(Event.objects.order_by("pk").values_list("verb", flat=True))
    assert verbs.count("ticket.created") == 2 and verbs.count("contact.created") == 3
    assert "company.created" in verbs and "feedback_item.created" in verbs


def test_raw_mail_builds_what_the_parser_reads():
    raw = raw_mail(
        "q2@acme.test",
        frm="Anna Lee <anna@acme.test>",
        cc="bob@acme.test",
        subject="Привет",
        body="Still broken.",
        in_reply_to="q1@acme.test",
        date="Mon, 23 Nov 2026 10:00:00 +0000",
        extra="X-Trace: first\r\n",
    )
    assert raw.startswith(b"X-Trace: first\r\nFrom: ") and b"\r\n\r\nStill broken.\r\n" in raw
    parsed = parse_message(raw)
    assert (parsed.message_id, parsed.from_email, parsed.from_name) == ("q2@acme.test", "anna@acme.test", "Anna Lee")
    assert (parsed.cc, parsed.subject, parsed.in_reply_to, parsed.references) == (
        ["bob@acme.test"],
        "Привет",
        ["q1@acme.test"],
        ["q1@acme.test"],
    )
    assert parsed.text.strip() == "Still broken." and parsed.date.year == 2026
    bare = parse_message(raw_mail(None, body=b"\xff raw bytes", ctype=None))
    assert bare.message_id == "" and bare.message_key.startswith("sha256:")


def test_the_shipped_package_never_imports_the_toolkit():
    package = Path(supportloop.__file__).parent
    assert not (package / "mail" / "testing.py").exists()
    found = []
    for path in package.rglob("*.py"):
        if "tests" in path.relative_to(package).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path}:{node.lineno}" for n in names if n.split(".")[0] == "supportloop_testing"]
    assert found == []
