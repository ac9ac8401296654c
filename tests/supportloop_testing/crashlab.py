"""The crash tests' laboratory: a scratch database per test, the product's own commands run as real subprocesses
(killed at named points, core/crashpoints.py), and a small driver that seeds data through the services.

Test code, not shipped. `CrashLab` is used by mail/tests/test_crash_safety.py; the driver half runs as
`python -m supportloop_testing.crashlab <command>` inside a subprocess with the lab's DATABASE_URL.

Why subprocesses and a database of their own: a process killed with SIGKILL must be a real process, and what it
committed must be read back by another one. pytest-django's SQLite test database lives in memory (no other
process can see it), so every lab database is a copy of a template migrated once per test session: a file for
SQLite, `CREATE DATABASE ... TEMPLATE` for PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
SUPPORTLOOP = str(Path(sys.executable).with_name("supportloop"))


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTLOOP_CRASH", "PYTEST", "DJANGO_SETTINGS"))}
    env.update(
        SECRET_KEY="crash-lab-secret",
        SUPPORTLOOP_DEBUG="1",
        SUPPORTLOOP_ALLOW_PRIVATE_HOSTS="1",
        DJANGO_SETTINGS_MODULE="supportloop.settings",
        PYTHONPATH=str(TESTS),
        DB_CONN_MAX_AGE="0",
    )
    return env


class Template:
    """A migrated database to copy: made once per session from the session's DATABASE_URL (its kind only)."""

    def __init__(self, database_url: str):
        self.kind = "postgresql" if database_url.startswith(("postgres://", "postgresql://")) else "sqlite"
        self.dir = Path(tempfile.mkdtemp(prefix="sl-crashlab-"))
        if self.kind == "sqlite":
            self.url = f"sqlite:///{self.dir / 'template.sqlite3'}"
        else:
            parts = urlsplit(database_url)
            self.server = parts
            self.name = f"sl_crashlab_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = urlunsplit(parts._replace(path="/" + self.name))
        env = _base_env() | {"DATABASE_URL": self.url}
        subprocess.run([SUPPORTLOOP, "migrate", "-v0"], env=env, check=True, capture_output=True, timeout=180)

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(urlunsplit(self.server._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(statement)

    def copy(self) -> CrashLab:
        if self.kind == "sqlite":
            path = self.dir / f"lab-{uuid.uuid4().hex[:8]}.sqlite3"
            shutil.copyfile(self.dir / "template.sqlite3", path)
            return CrashLab(self, f"sqlite:///{path}", path=path)
        name = f"sl_crashlab_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        return CrashLab(self, urlunsplit(self.server._replace(path="/" + name)), name=name)

    def remove(self) -> None:
        if self.kind == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.dir, ignore_errors=True)


class CrashLab:
    """One test's database, and the product's commands run against it."""

    def __init__(self, template: Template, url: str, *, path: Path | None = None, name: str = ""):
        self.template, self.url, self.path, self.name = template, url, path, name
        self.env = _base_env() | {"DATABASE_URL": url}

    @property
    def kind(self) -> str:
        return self.template.kind

    def run(
        self, *args: str, crash_at: str = "", mode: str = "", timeout: float = 120, check: bool = False
    ) -> subprocess.CompletedProcess:
        """Run `supportloop <args>` (or the driver: args starting with "lab"); SIGKILL at `crash_at` if given."""
        env = dict(self.env)
        if crash_at:
            env["SUPPORTLOOP_CRASH_AT"] = crash_at
        if mode:
            env["SUPPORTLOOP_CRASH_MODE"] = mode
        cmd = (
            [sys.executable, "-m", "supportloop_testing.crashlab", *args[1:]]
            if args[0] == "lab"
            else [SUPPORTLOOP, *args, "--skip-checks"]  # the checks ran at migrate; each start costs seconds
        )
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"{cmd} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def lab(self, *args: str) -> dict:
        """Run a driver command; its last line of output is JSON."""
        done = self.run("lab", *args, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        if self.kind == "sqlite":
            with sqlite3.connect(self.path) as conn:
                return conn.execute(query.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute(query, params).fetchall()

    def value(self, query: str, params: tuple = ()):
        return self.sql(query, params)[0][0]

    def remove(self) -> None:
        if self.kind == "sqlite" and self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        elif self.name:
            self.template._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- the driver: runs inside a subprocess, with Django set up on the lab's database --------------------------


def _cmd_mailbox(args) -> dict:
    from supportloop.mail.choices import ImapSecurity
    from supportloop.mail.services import mailbox_create

    box = mailbox_create(
        address="support@example.test",
        name="Example Support",
        imap_host="127.0.0.1",
        imap_port=args.port,
        imap_security=ImapSecurity.NONE,
        imap_username=args.user,
        password=args.password,
        imap_processed_folder=args.move_to,
    )
    return {"mailbox": box.pk}


def _cmd_loop(args) -> dict:
    """An item that `contacts` customers asked for (a ticket each) is shipped: the close-the-loop task is queued
    in the database queue. Also `pms` product managers, who get the digest."""
    from django.db import transaction

    from supportloop.accounts.choices import Role
    from supportloop.accounts.services import user_create
    from supportloop.customers.services import contact_create
    from supportloop.feedback.services import evidence_add, feedback_item_create, feedback_item_set_status
    from supportloop.tickets.services import ticket_create

    pms = [
        user_create(username=f"pm{n}", email=f"pm{n}@staff.example", password="pw-123456-x", role=Role.PRODUCT)
        for n in range(1, args.pms + 1)
    ]
    agent = user_create(username="agent1", email="agent1@staff.example", password="pw-123456-x", role=Role.AGENT)
    item = feedback_item_create(kind="feature_request", title="Export to Excel", actor=pms[0])
    for n in range(1, args.contacts + 1):
        contact = contact_create(name=f"Customer {n}", emails=[f"customer{n}@loop.example"], language="en")
        ticket = ticket_create(subject=f"Export {n}", body="Please add it", requester=contact)
        evidence_add(item=item, actor=agent, ticket=ticket)
    with transaction.atomic():
        feedback_item_set_status(item=item, status="shipped", actor=pms[0], release_note="Reports > Export.")
    return {"item": item.pk}


def _cmd_digest(args) -> dict:
    from django.db import transaction

    from supportloop.feedback.services import weekly_digest_queue

    with transaction.atomic():
        weekly_digest_queue()
    return {}


def _cmd_due(args) -> dict:
    """What the scheduler queues when notices are due: the close-the-loop safety net."""
    from supportloop.feedback.tasks import close_the_loop_due

    close_the_loop_due.enqueue()
    return {}


def _cmd_age(args) -> dict:
    """Time passes: every attempt and backoff moves `minutes` into the past (the lost-attempt window, a backoff)."""
    from datetime import timedelta

    from django.db.models import F

    from supportloop.feedback.models import ClosingNotice, DigestDelivery

    delta = timedelta(minutes=args.minutes)
    ClosingNotice.objects.exclude(attempted_at=None).update(attempted_at=F("attempted_at") - delta)
    ClosingNotice.objects.exclude(next_attempt_at=None).update(next_attempt_at=F("next_attempt_at") - delta)
    DigestDelivery.objects.exclude(attempted_at=None).update(attempted_at=F("attempted_at") - delta)
    return {}


def main(argv: list[str] | None = None) -> None:
    import django

    parser = argparse.ArgumentParser(prog="crashlab")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("mailbox")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--move-to", default="")
    p = sub.add_parser("loop")
    p.add_argument("--contacts", type=int, default=2)
    p.add_argument("--pms", type=int, default=2)
    sub.add_parser("digest")
    sub.add_parser("due")
    p = sub.add_parser("age")
    p.add_argument("--minutes", type=int, default=11)
    args = parser.parse_args(argv)
    django.setup()
    commands = {"mailbox": _cmd_mailbox, "loop": _cmd_loop, "digest": _cmd_digest, "due": _cmd_due, "age": _cmd_age}
    sys.stdout.write(json.dumps(commands[args.command](args)) + "\n")


if __name__ == "__main__":
    main()
