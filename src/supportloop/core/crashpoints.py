"""Test-only fault injection: named points where the crash tests kill the process or drop its database connection.

`crash_point("imap.in_write")` does nothing unless the environment variable SUPPORTLOOP_CRASH_AT names that point
(several may be given, separated by commas). Then, by SUPPORTLOOP_CRASH_MODE:

- `kill` (default): the process sends itself SIGKILL, as `kill -9` or the OOM killer would: no exception, no
  `finally`, no atexit, no transaction rollback or commit from Python's side.
- `pg_terminate`: another connection calls `pg_terminate_backend()` on this process's PostgreSQL session (a
  database restart, a failover, an idle-in-transaction timeout); the process goes on and meets the broken
  connection at its next statement. On SQLite the mode is ignored.

The points are listed in docs/crash-safety.md together with what makes recovery after each one correct;
mail/tests/test_crash_safety.py drives them against a real Dovecot and a real SMTP server. An operator never sets
these variables; reading one environment variable is the whole cost when they are unset.
"""

from __future__ import annotations

import os
import signal

CRASH_AT = "SUPPORTLOOP_CRASH_AT"
CRASH_MODE = "SUPPORTLOOP_CRASH_MODE"

POINTS = (
    "imap.after_fetch",  # a batch fetched from the IMAP server, nothing written yet
    "imap.in_write",  # inside the batch's transaction: tickets written, not committed
    "imap.after_commit",  # the batch committed, its acknowledgements not queued, the server not told
    "imap.before_flag",  # acknowledgements queued, the messages not yet flagged \\Seen or moved
    "imap.before_expunge",  # moved by COPY + \\Deleted, not yet expunged (servers without MOVE)
    "mail.before_smtp",  # an outbound attempt claimed in the database, nothing handed to SMTP
    "mail.after_smtp",  # the SMTP server accepted the mail, the database does not know yet
)


def crash_point(name: str) -> None:
    """Die here (or lose the database connection) if the crash tests asked for this point; otherwise nothing."""
    wanted = os.environ.get(CRASH_AT)
    if not wanted or name not in wanted.split(","):
        return
    if os.environ.get(CRASH_MODE, "kill") == "pg_terminate":
        _pg_terminate_own_backend()
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _pg_terminate_own_backend() -> None:
    from django.db import connection

    if connection.vendor != "postgresql" or connection.connection is None:
        return
    pid = connection.connection.info.backend_pid
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
