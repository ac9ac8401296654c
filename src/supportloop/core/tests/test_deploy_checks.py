"""`check --deploy` warns when PostgreSQL may lose committed data (synchronous_commit or fsync off).

Run on both suites: against the real PostgreSQL test database the warnings follow the server's settings;
on SQLite the check says nothing.
"""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.db import connection

from supportloop.core import checks


def _deploy_output() -> str:
    out, err = StringIO(), StringIO()
    # Only report: the environment may hold unrelated errors (e.g. DJANGO_ALLOW_ASYNC_UNSAFE set by the browser
    # tests), which would otherwise raise before anything is printed.
    call_command("check", "--deploy", "--fail-level", "CRITICAL", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def _set_local(name: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL {name} = {value}")  # undone when the test's transaction rolls back


def test_synchronous_commit_off_is_a_deploy_warning_on_postgresql(db):
    if connection.vendor == "postgresql":
        _set_local("synchronous_commit", "off")
        output = _deploy_output()
        assert "supportloop.W010" in output and "synchronous_commit = off" in output
        _set_local("synchronous_commit", "on")
        assert "supportloop.W010" not in _deploy_output()
    else:
        assert connection.vendor == "sqlite"
        assert checks.check_postgres_durability(None) == []
        assert "supportloop.W010" not in _deploy_output()


def test_the_warnings_follow_what_the_server_reports(db):
    """fsync is a server-wide setting that a test cannot change: compare the check with SHOW itself."""
    found = {problem.id for problem in checks.check_postgres_durability(None)}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW fsync")
            fsync = cursor.fetchone()[0]
            cursor.execute("SHOW synchronous_commit")
            synchronous_commit = cursor.fetchone()[0]
        assert ("supportloop.W011" in found) == (fsync == "off")
        assert ("supportloop.W010" in found) == (synchronous_commit == "off")
    else:
        assert found == set()


def test_fsync_off_is_a_deploy_warning(db, monkeypatch):
    monkeypatch.setattr(
        checks, "postgres_durability_settings", lambda conn: {"fsync": "off", "synchronous_commit": "on"}
    )
    found = list(checks.check_postgres_durability(None))
    if connection.vendor == "postgresql":
        assert [p.id for p in found] == ["supportloop.W011"] and "fsync = off" in found[0].msg
    else:
        assert found == []  # only PostgreSQL is asked
