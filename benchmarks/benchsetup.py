"""What every benchmark script does before it measures: create its PostgreSQL database, point Django at it.

Benchmarks run in production settings (no SUPPORTLOOP_DEBUG: DEBUG changes template and query costs), with a
throwaway secret and the test client's host allowed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ensure_postgres_database(url: str, *, reload: bool = False) -> None:
    """Create the database named by `url` if missing; with `reload`, drop it first."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reload:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, *, allowed_hosts: str = "testserver,localhost", **environ: str) -> None:
    """Django set up on `url` in production settings; `environ` adds settings read from the environment."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret")
    os.environ.setdefault("ALLOWED_HOSTS", allowed_hosts)
    os.environ.update(environ)
    os.environ.pop("SUPPORTLOOP_DEBUG", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportloop.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
