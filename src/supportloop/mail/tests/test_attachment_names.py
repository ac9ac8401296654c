"""Attachment names in mail (issue 10, item 7): a name without letters or digits, or in any script, must not
send the whole message to quarantine; the part limit leaves a visible note saying how many parts were dropped."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from supportloop.mail.models import Quarantine
from supportloop.mail.services import inbound_ingest
from supportloop.tickets.filenames import clean_name, display_name
from supportloop.tickets.models import Attachment, Message

_counter = {"n": 0}


def mail_with_attachment(disposition_params: str, data: bytes = b"file bytes") -> bytes:
    """A message with a text part and one attachment; each call has its own sender and Message-ID."""
    _counter["n"] += 1
    n = _counter["n"]
    head = (
        f"From: Anna <anna{n}@acme.test>\r\nTo: support@example.test\r\nSubject: see attached\r\n"
        f"Message-ID: <att-{n}@acme.test>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe file is attached.\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment; {disposition_params}\r\n\r\n"
    )
    return head.encode() + base64.encodebytes(data) + b"--b--\r\n"


def rfc2231(name: str) -> str:
    """How mail clients send a non-ASCII file name (RFC 2231: charset, language, percent-encoded)."""
    return f"filename*=utf-8''{quote(name, safe='')}"


LONG_CHINESE = "季度报告" * 80 + ".pdf"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params,shown",
    [
        (rfc2231("😍"), "😍"),
        ('filename="!!!"', "!!!"),
        ('filename="%"', "%"),
        ('filename="\'"', "'"),
        ('filename="."', "."),
        ('filename=".."', ".."),
        ('filename="../.."', ".._.."),  # shown without its separators; stored under a generated name
        (rfc2231("отчёт за март.pdf"), "отчёт за март.pdf"),
        (rfc2231(LONG_CHINESE), LONG_CHINESE[:251] + ".pdf"),
        (rfc2231("invoice\u202egpj.exe"), "invoicegpj.exe"),
    ],
)
def test_any_attachment_name_becomes_a_ticket_with_that_name(mailbox, params, shown):
    result = inbound_ingest(raw=mail_with_attachment(params), mailbox=mailbox)
    assert result.outcome == "ticket", result
    [attachment] = Attachment.objects.filter(message_id=result.message_id)
    assert attachment.filename == shown
    assert attachment.file.name.isascii() and bytes(attachment.file.open("rb").read()) == b"file bytes"
    assert not Quarantine.objects.exists()


@pytest.mark.django_db
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=300))
def test_any_filename_text_in_a_mail_is_ingested(mailbox, name):
    result = inbound_ingest(raw=mail_with_attachment(rfc2231(name)), mailbox=mailbox)
    assert result.outcome == "ticket", result
    [attachment] = Attachment.objects.filter(message_id=result.message_id)
    assert attachment.filename == (display_name(name) if clean_name(name) else "part-1.bin")


@pytest.mark.django_db
def test_parts_over_the_limit_are_counted_in_a_note_on_the_ticket(mailbox, settings):
    settings.SUPPORTLOOP_MAIL_MAX_PARTS = 10
    parts = [b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, twelve files attached.\r\n"]
    parts += [
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
        b'filename="f%d.bin"\r\n\r\nx\r\n' % i
        for i in range(12)
    ]
    raw = (
        b"From: Anna <anna@acme.test>\r\nTo: support@example.test\r\nSubject: many parts\r\n"
        b"Message-ID: <parts@acme.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        + b"".join(parts)
        + b"--b--\r\n"
    )
    result = inbound_ingest(raw=raw, mailbox=mailbox)
    assert result.outcome == "ticket"
    # 14 parts: the multipart itself, the text and 12 files; the first 10 are read, so 8 files are kept.
    assert Attachment.objects.filter(message_id=result.message_id).count() == 8
    body = Message.objects.get(pk=result.message_id).body_text
    assert body.startswith("Hello, twelve files attached.")
    assert "4 more MIME parts were not read" in body and "10" in body
