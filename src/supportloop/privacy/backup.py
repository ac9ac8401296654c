"""Backup and restore of the whole workspace: the database, the uploaded files and a checksum manifest.

A backup directory holds:
- `db.sqlite3` (SQLite's online backup API, a consistent copy while the site runs) or `db.dump` (`pg_dump`
  custom format; pg_dump must be the server's major version or newer, checked before it runs);
- `media/`, a copy of MEDIA_ROOT (attachments, quarantined raw mail);
- `manifest.json`: sha256 and size of every file, rows per model, the /changes cursor (the `changes` counter),
  the applied migrations, the database vendor and when it was taken.

A restore verifies every checksum first and refuses on any mismatch or missing file (nothing is touched), refuses
a target database that holds rows unless `force`, restores, copies the files back, then checks the row counts
and the cursor against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from supportloop.core.models import Counter
from supportloop.core.services import CHANGES_COUNTER

MANIFEST = "manifest.json"
FORMAT = "supportloop.backup/1"


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _models() -> list:
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def _tables() -> dict[str, str]:
    return {m._meta.label: m._meta.db_table for m in _models()}


def model_counts() -> dict[str, int]:
    """Rows per model label, every installed model with a table of its own (many-to-many tables included)."""
    return {m._meta.label: m._base_manager.count() for m in _models()}


def changes_cursor() -> int:
    row = Counter.objects.filter(name=CHANGES_COUNTER).first()
    return row.value if row else 0


def _applied_migrations() -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [list(r) for r in cursor.fetchall()]


def _pg_args(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _major(text: str) -> int:
    match = re.search(r"(\d+)", text)
    return int(match.group(1)) if match else 0


def _pg_tool_check(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(f"{tool} was not found on PATH; install the PostgreSQL client of the server's version.")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    client = re.search(r"\)\s+(\d+)", version)  # "pg_dump (PostgreSQL) 15.20 (Debian ...)"
    if client is None or int(client.group(1)) < _major(server):
        raise BackupError(f"{tool} is {version.strip()} but the server is {server}: use {tool} {_major(server)}+.")
    return path


def _copy_tree(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True)


def backup_create(*, out: Path) -> dict[str, Any]:
    """Write a backup of the database and the uploaded files into `out` (created; must be empty)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty; choose a new directory for the backup.")
    out.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    if vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(out / "db.sqlite3")
        try:
            connection.connection.backup(target)
            # The figures of the copy itself, not of the live database a moment later.
            counts = {
                label: target.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
                for label, table in _tables().items()
            }
            row = target.execute("SELECT value FROM core_counter WHERE name = ?", [CHANGES_COUNTER]).fetchone()
            cursor_value = row[0] if row else 0
        finally:
            target.close()
        migrations = _applied_migrations()
    elif vendor == "postgresql":
        pg_dump = _pg_tool_check("pg_dump")
        db = connection.settings_dict
        args, env = _pg_args(db)
        # One snapshot for the figures and the dump: a repeatable-read transaction exports it, counts in it, and
        # pg_dump reads the same snapshot while the transaction stays open.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            counts, cursor_value, migrations = model_counts(), changes_cursor(), _applied_migrations()
            result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
                [
                    pg_dump,
                    *args,
                    "-Fc",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(out / "db.dump"),
                    str(db["NAME"]),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()[:2000]}")
    else:
        raise BackupError(f"Backups of {vendor} databases are not supported.")
    _copy_tree(Path(settings.MEDIA_ROOT), out / "media")
    files = {
        str(p.relative_to(out)): {"sha256": _sha256(p), "size": p.stat().st_size}
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "vendor": vendor,
        "files": files,
        "counts": counts,
        "changes_cursor": cursor_value,
        "migrations": migrations,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def backup_verify(src: Path) -> dict[str, Any]:
    """The manifest, after checking every file's size and sha256 against it. BackupError naming the first bad
    file (or a missing/unreadable manifest)."""
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src / MANIFEST} is missing or unreadable: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src} is not a supportloop backup (format {manifest.get('format')!r}).")
    for name, meta in manifest["files"].items():
        path = (src / name).resolve()
        if not path.is_relative_to(src.resolve()):
            raise BackupError(f"The manifest names a file outside the backup: {name}")
        if not path.is_file():
            raise BackupError(f"Checksum mismatch: {name} is missing from the backup.")
        if path.stat().st_size != meta["size"] or _sha256(path) != meta["sha256"]:
            raise BackupError(f"Checksum mismatch: {name} is not the file that was backed up; refusing to restore.")
    return manifest


# Rows that `migrate` (or its post_migrate signal) writes into every new database: not workspace data.
SEEDED_BY_MIGRATE = {"contenttypes.ContentType", "auth.Permission"}


def target_rows() -> list[str]:
    """The models whose tables hold rows in the target (tables that do not exist yet count as empty)."""
    existing = set(connection.introspection.table_names())
    return [
        m._meta.label
        for m in _models()
        if m._meta.db_table in existing and m._meta.label not in SEEDED_BY_MIGRATE and m._base_manager.exists()
    ]


def backup_restore(*, src: Path, force: bool = False, database: dict[str, Any] | None = None) -> dict[str, Any]:
    """Restore a backup into the configured database (or, PostgreSQL only, the one `database` describes: a fresh
    database name) and MEDIA_ROOT. Checks first, then restores; see the module docstring."""
    src = Path(src)
    manifest = backup_verify(src)
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise BackupError(f"This backup is of a {manifest['vendor']} database; the target is {vendor}.")
    holding = [] if database is not None or force else target_rows()
    if holding:
        raise BackupError(
            "The target database is not empty (rows in "
            + ", ".join(holding[:5])
            + (", ..." if len(holding) > 5 else "")
            + "); restore into an empty database or pass --force."
        )
    if vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(src / "db.sqlite3")
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        pg_restore = _pg_tool_check("pg_restore")
        db = database or connection.settings_dict
        if database is None:
            connection.close()  # pg_restore drops and recreates the tables this connection may hold locks on
        args, env = _pg_args(db)
        result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [
                pg_restore,
                *args,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                str(db["NAME"]),
                str(src / "db.dump"),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()[:2000]}")
    media = src / "media"
    if media.is_dir():
        _copy_tree(media, Path(settings.MEDIA_ROOT))
    return manifest


def restore_check(manifest: dict[str, Any]) -> list[str]:
    """Differences between the restored database (the configured one) and the manifest: [] when identical."""
    problems = []
    counts = model_counts()
    for label, expected in manifest["counts"].items():
        if counts.get(label) != expected:
            problems.append(f"{label}: {counts.get(label)} rows, the backup had {expected}")
    if changes_cursor() != manifest["changes_cursor"]:
        problems.append(f"changes cursor {changes_cursor()}, the backup had {manifest['changes_cursor']}")
    return problems
