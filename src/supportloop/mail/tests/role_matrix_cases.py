"""Role-matrix rows for the mail API (merged into api/tests/role_matrix_cases.all_cases())."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case, World

RAW = b"From: x@auto.test\r\nTo: support@example.test\r\nSubject: ooo\r\nAuto-Submitted: auto-replied\r\n\r\nAway\r\n"


def _fresh_quarantine(w: World) -> str:
    from supportloop.mail.services import quarantine_store

    n = w.n()
    raw = RAW.replace(b"Subject: ooo", f"Subject: ooo {n}\r\nMessage-ID: <q{n}@auto.test>".encode())
    row = quarantine_store(raw=raw, reason="auto_reply", message_key=f"q{n}@auto.test", sender="x@auto.test")
    return f"mail/quarantine/{row.pk}/release"


CASES = {
    ("GET", "/api/v1/mail/quarantine"): Case("quarantine.view", lambda w: "mail/quarantine"),
    ("POST", "/api/v1/mail/quarantine/{quarantine_id}/release"): Case("mailbox.manage", _fresh_quarantine),
    ("GET", "/api/v1/mail/quarantine/{quarantine_id}/raw"): Case(
        "quarantine.view", lambda w: _fresh_quarantine(w).replace("/release", "/raw")
    ),
    ("GET", "/api/v1/mail/mailboxes"): Case("mailbox.manage", lambda w: "mail/mailboxes"),
    ("GET", "/api/v1/mail/inbound"): Case("quarantine.view", lambda w: "mail/inbound"),
}
