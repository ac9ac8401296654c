"""Property tests: whatever bytes arrive, parsing never raises anything but UnparseableMail, and ingesting
yields exactly one outcome with exactly the rows that outcome promises."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportloop.mail.models import InboundMail, Quarantine
from supportloop.mail.parsing import UnparseableMail, decode_bytes, parse_message
from supportloop.mail.services import inbound_ingest
from supportloop.tickets.models import Message, Ticket

HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "Delivered-To",
    "Reply-To",
    "Date",
    "X-Loop",
]
header_value = st.one_of(
    st.text(max_size=80).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=80),
    st.sampled_from(
        [
            b"multipart/mixed; boundary=x",
            b"text/plain; charset=gbk",
            b"text/html; charset=x-bogus",
            b"=?utf-8?B?0J/RgNC40LLQtdGC?=",
            b"=?gb2312?Q?=C4=E3?=",
            b"base64",
            b"quoted-printable",
            b"<a@b>",
            b"anna@acme.test",
            b"Anna <anna@acme.test>, bob@acme.test",
            b"auto-replied",
        ]
    ),
)
messages = st.builds(
    lambda headers, body: (
        b"\r\n".join(n.encode() + b": " + v.replace(b"\r", b"").replace(b"\n", b" ") for n, v in headers)
        + b"\r\n\r\n"
        + body
    ),
    st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_value), max_size=12),
    st.one_of(
        st.binary(max_size=400),
        st.sampled_from(
            [b"--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--", b"SGVsbG8=", b"=E4=BD=A0=E5=A5=BD", b""]
        ),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(messages, st.binary(max_size=500)))
def test_parse_never_raises_unexpectedly_and_yields_storable_text(raw):
    try:
        parsed = parse_message(raw)
    except UnparseableMail:
        return
    for value in (parsed.subject, parsed.text, parsed.from_name, parsed.message_key):
        assert "\x00" not in value
        value.encode("utf-8")  # no lone surrogates: the database can store it
    assert len(parsed.subject) <= 500 and len(parsed.message_key) <= 500


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([None, "utf-8", "gbk", "koi8-r", "x-unknown", "iso-2022-jp"]))
def test_decode_bytes_always_returns_text(data, charset):
    assert isinstance(decode_bytes(data, charset), str)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=messages)
def test_ingest_yields_exactly_one_outcome(raw, mailbox):
    before = (Ticket.objects.count(), Message.objects.count(), Quarantine.objects.count(), InboundMail.objects.count())
    result = inbound_ingest(raw=raw, mailbox=mailbox)
    after = (Ticket.objects.count(), Message.objects.count(), Quarantine.objects.count(), InboundMail.objects.count())
    delta = tuple(a - b for a, b in zip(after, before, strict=True))
    assert {
        "ticket": (1, 1, 0, 1),
        "threaded": (0, 1, 0, 1),
        "quarantined": (0, 0, 1, 1),
        "duplicate": (0, 0, 0, 1),
    }[result.outcome] == delta
