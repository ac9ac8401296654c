"""Several database connections at once in one test, the way web and worker processes meet in production.

On PostgreSQL each thread opens its own connection to the test database. On SQLite the test database is the
shared in-memory one, whose table locks fail at once instead of waiting (a different locking model from the
file database a workspace runs on), so `separate_connections` copies it to a file (WAL, busy timeout and
IMMEDIATE transactions from the project settings) and points this thread, and every thread started through
`in_thread`, at that file. Use it in `django_db(transaction=True)` tests: each connection commits for real.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def separate_connections(tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Yields `connect_here()`, which points the calling thread's default connection at the shared database."""
    memory = connections[DEFAULT_DB_ALIAS]
    if memory.vendor != "sqlite":
        yield lambda: None
        return
    path = tmp_path / "workspace.sqlite3"
    memory.ensure_connection()
    target = sqlite3.connect(path)
    memory.connection.backup(target)
    target.close()
    settings_dict = {**memory.settings_dict, "NAME": str(path)}

    def connect_here() -> None:
        connections[DEFAULT_DB_ALIAS] = memory.__class__(settings_dict, DEFAULT_DB_ALIAS)

    connect_here()
    try:
        yield connect_here
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connections[DEFAULT_DB_ALIAS] = memory


class InThread(threading.Thread):
    """Runs `fn` in a thread with its own connection; `result` or `error` afterwards."""

    def __init__(self, fn: Callable[[], object], connect_here: Callable[[], None]):
        super().__init__(daemon=True)
        self.fn, self.connect_here = fn, connect_here
        self.result: object = None
        self.error: BaseException | None = None

    def run(self) -> None:
        self.connect_here()
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test, which asserts on it
            self.error = exc
        finally:
            connections[DEFAULT_DB_ALIAS].close()


def in_thread(fn: Callable[[], object], connect_here: Callable[[], None]) -> InThread:
    thread = InThread(fn, connect_here)
    thread.start()
    return thread
