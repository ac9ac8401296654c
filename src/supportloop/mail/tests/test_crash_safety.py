"""Crash safety, for real: the mail poller and the task worker run as subprocesses against a real Dovecot and a real
SMTP server (aiosmtpd), are killed with SIGKILL at named points (core/crashpoints.py) or lose their PostgreSQL
connection mid-transaction, and are started again. After the restart every message is stored exactly once, every
acknowledgement, close-the-loop notice and digest reaches its recipient once, and what could not be sent is a row
that says so and is tried again. docs/crash-safety.md lists the points and what makes each recovery correct.

Each test gets a database of its own (tests/supportloop_testing/crashlab.py), on the session's kind of database.
"""

from __future__ import annotations

import os
import uuid
from email import message_from_bytes, policy

import pytest

from supportloop_testing.crashlab import Template
from supportloop_testing.dovecot import IMAP_PASSWORD
from supportloop_testing.mail import raw_mail

pytestmark = [pytest.mark.mailserver]

KILLED = -9


@pytest.fixture(scope="module")
def template():
    tpl = Template(os.environ.get("DATABASE_URL", "sqlite://"))
    yield tpl
    tpl.remove()


@pytest.fixture
def lab(template):
    lab = template.copy()
    yield lab
    lab.remove()


class ScriptedHandler:
    """An SMTP server that answers DATA from a script ("451 ...", "550 ...") and then 250; keeps what it took."""

    def __init__(self):
        self.accepted: list[dict] = []
        self.script: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        if self.script:
            return self.script.pop(0)
        data = bytes(envelope.original_content or envelope.content)
        self.accepted.append({"to": list(envelope.rcpt_tos), "data": data})
        return "250 OK"

    def ids_to(self) -> list[tuple[str, str]]:
        """(recipient, Message-ID) of every mail taken, in order."""
        out = []
        for mail in self.accepted:
            msg = message_from_bytes(mail["data"], policy=policy.default)
            out.extend((rcpt, str(msg["Message-ID"])) for rcpt in mail["to"])
        return out


@pytest.fixture
def sink(smtp_server, lab):
    """The session's aiosmtpd, with a scripted handler, and the lab's processes pointed at it."""
    controller, _capturing = smtp_server
    handler = ScriptedHandler()
    previous = controller.handler
    controller.handler = handler
    lab.env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(controller.port),
        DEFAULT_FROM_EMAIL="support@example.test",
    )
    yield handler
    controller.handler = previous


def _customer_mails(n: int) -> list[tuple[str, bytes]]:
    out = []
    for i in range(1, n + 1):
        mid = f"crash-{i}-{uuid.uuid4().hex[:8]}@acme.test"
        out.append(
            (
                mid,
                raw_mail(
                    mid,
                    frm=f"Customer {i} <c{i}@acme.test>",
                    to="Example Support <support@example.test>",
                    subject=f"Printer {i} is on fire",
                    body="It smokes.",
                    date="Mon, 23 Nov 2026 10:00:00 +0000",
                ),
            )
        )
    return out


@pytest.fixture
def inbox(lab, dovecot, sink):
    """A Dovecot account with 5 customer mails and a mailbox row that reads it."""
    user = f"crash{uuid.uuid4().hex[:10]}"
    mails = _customer_mails(5)
    client = dovecot.client(user)
    for _mid, raw in mails:
        client.append("INBOX", raw)
    client.logout()
    lab.lab("mailbox", "--port", str(dovecot.port), "--user", user, "--password", IMAP_PASSWORD)
    return user, [mid for mid, _raw in mails]


def _stored_once(lab, message_ids: list[str]) -> None:
    rows = lab.sql("SELECT external_message_id, COUNT(*) FROM tickets_message GROUP BY external_message_id")
    counts = dict(rows)
    assert {mid: counts.get(mid, 0) for mid in message_ids} == dict.fromkeys(message_ids, 1)
    assert lab.value("SELECT COUNT(*) FROM tickets_ticket") == len(message_ids)
    ledger = lab.sql("SELECT message_key, outcome FROM mail_inboundmail ORDER BY id")
    assert sorted(ledger) == sorted((mid, "ticket") for mid in message_ids)


def _server_flags(dovecot, user: str) -> tuple[list[int], list[int]]:
    client = dovecot.client(user)
    client.select_folder("INBOX")
    seen, unseen = client.search(["SEEN"]), client.search(["UNSEEN"])
    client.logout()
    return sorted(seen), sorted(unseen)


@pytest.mark.parametrize("point", ["imap.after_fetch", "imap.in_write", "imap.after_commit", "imap.before_flag"])
def test_a_poller_killed_at_each_step_of_a_batch_stores_every_message_once_and_acknowledges_each_once(
    lab, dovecot, sink, inbox, point
):
    user, message_ids = inbox
    crashed = lab.run("mail_poll", "--once", crash_at=point)
    assert crashed.returncode == KILLED, crashed.stderr

    committed = point in ("imap.after_commit", "imap.before_flag")
    assert lab.value("SELECT COUNT(*) FROM tickets_ticket") == (5 if committed else 0)
    # Nothing is flagged on the server before the batch is committed, nor (killed before the flag) after it.
    assert _server_flags(dovecot, user) == ([], [1, 2, 3, 4, 5])

    lab.run("mail_poll", "--once", check=True)  # the restart
    _stored_once(lab, message_ids)
    assert _server_flags(dovecot, user) == ([1, 2, 3, 4, 5], [])
    assert lab.sql("SELECT imap_last_uid, imap_done_uid, last_poll_error FROM mail_mailbox") == [(5, 5, "")]

    # Each new ticket's acknowledgement was queued with the tickets (even when the poller died right after the
    # commit) and goes out once.
    lab.run("db_worker", "--batch", "--no-startup-delay", check=True)
    acknowledged = sorted(rcpt for rcpt, _mid in sink.ids_to())
    assert acknowledged == sorted(f"c{i}@acme.test" for i in range(1, 6))
    assert lab.value("SELECT COUNT(*) FROM mail_autoresponse WHERE sent_at IS NOT NULL") == 5


def test_a_processed_folder_move_interrupted_before_it_is_finished_by_the_next_poll(lab, dovecot, sink):
    user = f"crash{uuid.uuid4().hex[:10]}"
    client = dovecot.client(user)
    client.create_folder("Processed")
    mails = _customer_mails(3)
    for _mid, raw in mails:
        client.append("INBOX", raw)
    client.logout()
    lab.lab(
        "mailbox", "--port", str(dovecot.port), "--user", user, "--password", IMAP_PASSWORD, "--move-to", "Processed"
    )

    assert lab.run("mail_poll", "--once", crash_at="imap.before_flag").returncode == KILLED
    lab.run("mail_poll", "--once", check=True)

    _stored_once(lab, [mid for mid, _raw in mails])
    client = dovecot.client(user)
    assert client.select_folder("INBOX")[b"EXISTS"] == 0
    assert client.select_folder("Processed")[b"EXISTS"] == 3
    client.logout()


def test_a_postgresql_connection_dropped_inside_the_batch_writes_nothing_and_the_next_poll_stores_it_once(
    lab, dovecot, sink, inbox
):
    if lab.kind != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    user, message_ids = inbox
    dropped = lab.run("mail_poll", "--once", crash_at="imap.in_write", mode="pg_terminate")
    # The poll fails cleanly (the command says which mailbox and why, and exits 1); nothing half-written.
    assert dropped.returncode == 1 and "OperationalError: terminating connection" in dropped.stderr, dropped.stderr
    assert lab.value("SELECT COUNT(*) FROM tickets_ticket") == 0
    assert lab.value("SELECT COUNT(*) FROM mail_inboundmail") == 0
    assert lab.value("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult") == 0
    assert lab.sql("SELECT imap_last_uid, imap_done_uid FROM mail_mailbox") == [(0, 0)]
    assert _server_flags(dovecot, user) == ([], [1, 2, 3, 4, 5])

    lab.run("mail_poll", "--once", check=True)
    _stored_once(lab, message_ids)
    assert _server_flags(dovecot, user) == ([1, 2, 3, 4, 5], [])


def _notices(lab) -> list[tuple]:
    return lab.sql("SELECT email, status, attempts, message_id FROM feedback_closingnotice ORDER BY email")


def test_close_the_loop_through_an_smtp_server_answering_4xx_then_5xx_is_recorded_retried_and_sent_once(lab, sink):
    lab.lab("loop", "--contacts", "2", "--pms", "1")
    sink.script = ["451 4.3.0 Try again later", "550 5.7.1 Rejected for now"]
    lab.run("db_worker", "--batch", "--no-startup-delay", check=True)

    notices = _notices(lab)
    assert [(email, status, attempts) for email, status, attempts, _mid in notices] == [
        ("customer1@loop.example", "pending", 1),
        ("customer2@loop.example", "pending", 1),
    ]
    errors = sorted(e for (e,) in lab.sql("SELECT error FROM feedback_closingnotice"))
    assert "451" in errors[0] and "550" in errors[1]
    assert sink.accepted == []

    lab.lab("age", "--minutes", "1")  # the first backoff (30 s) passes; the scheduler queues the safety net
    lab.lab("due")
    lab.run("db_worker", "--batch", "--no-startup-delay", check=True)

    notices = _notices(lab)
    assert [(email, status, attempts) for email, status, attempts, _mid in notices] == [
        ("customer1@loop.example", "sent", 2),
        ("customer2@loop.example", "sent", 2),
    ]
    assert sorted(sink.ids_to()) == sorted((email, f"<{mid}>") for email, _s, _a, mid in notices)


@pytest.mark.parametrize("point", ["mail.before_smtp", "mail.after_smtp"])
def test_a_worker_killed_while_closing_the_loop_loses_no_notice_and_never_sends_one_twice_at_once(lab, sink, point):
    lab.lab("loop", "--contacts", "2", "--pms", "1")
    crashed = lab.run("db_worker", "--batch", "--no-startup-delay", crash_at=point)
    assert crashed.returncode == KILLED
    first = _notices(lab)[0]
    assert first[1:3] == ("sending", 1)  # claimed, outcome unknown: shown as sending to the product manager
    assert len(sink.accepted) == (1 if point == "mail.after_smtp" else 0)

    # Restarted at once: the other customer is told; the interrupted attempt is not repeated yet (it may have
    # reached the server: a repeat within the lost-attempt window could be a second mail).
    lab.lab("due")
    lab.run("db_worker", "--batch", "--no-startup-delay", check=True)
    statuses = [(email, status) for email, status, _a, _m in _notices(lab)]
    assert statuses == [("customer1@loop.example", "sending"), ("customer2@loop.example", "sent")]
    told = [rcpt for rcpt, _mid in sink.ids_to()]
    assert sorted(told) == (
        ["customer1@loop.example", "customer2@loop.example"]
        if point == "mail.after_smtp"
        else ["customer2@loop.example"]
    )

    # The attempt is taken as lost after 10 minutes and made again, under the same Message-ID.
    lab.lab("age", "--minutes", "11")
    lab.lab("due")
    lab.run("db_worker", "--batch", "--no-startup-delay", check=True)
    notices = _notices(lab)
    assert [(e, s, a) for e, s, a, _m in notices] == [
        ("customer1@loop.example", "sent", 2),
        ("customer2@loop.example", "sent", 1),
    ]
    to_first = [mid for rcpt, mid in sink.ids_to() if rcpt == "customer1@loop.example"]
    # Killed before SMTP: exactly one mail. Killed after SMTP took it: the repeat is the same message (same
    # Message-ID), which mail clients show once: the unavoidable window between the server's 250 and our commit.
    assert to_first == [f"<{notices[0][3]}>"] * (2 if point == "mail.after_smtp" else 1)


@pytest.mark.parametrize("point", ["mail.before_smtp", "mail.after_smtp"])
def test_a_worker_killed_while_sending_the_digest_mails_each_product_manager_once(lab, sink, point):
    lab.lab("loop", "--contacts", "1", "--pms", "2")
    lab.run("db_worker", "--batch", "--no-startup-delay", check=True)  # the close-the-loop notice
    sink.accepted.clear()
    lab.lab("digest")
    assert lab.run("db_worker", "--batch", "--no-startup-delay", crash_at=point).returncode == KILLED

    lab.lab("digest")  # the scheduler's next hourly run, at once: the claimed mail is not repeated yet
    lab.run("db_worker", "--batch", "--no-startup-delay", check=True)
    got = sorted(rcpt for rcpt, _mid in sink.ids_to())
    assert got == (["pm1@staff.example", "pm2@staff.example"] if point == "mail.after_smtp" else ["pm2@staff.example"])

    lab.lab("age", "--minutes", "11")
    lab.lab("digest")
    lab.run("db_worker", "--batch", "--no-startup-delay", check=True)
    assert lab.value("SELECT COUNT(*) FROM feedback_digestdelivery WHERE sent_at IS NOT NULL") == 2
    by_pm: dict[str, list[str]] = {}
    for rcpt, mid in sink.ids_to():
        by_pm.setdefault(rcpt, []).append(mid)
    assert sorted(by_pm) == ["pm1@staff.example", "pm2@staff.example"]
    assert len(by_pm["pm2@staff.example"]) == 1
    # pm1's interrupted mail: once if it never reached the server, else repeated under the same Message-ID.
    assert len(by_pm["pm1@staff.example"]) == (2 if point == "mail.after_smtp" else 1)
    assert len(set(by_pm["pm1@staff.example"])) == 1
