"""Backup and restore round-trip the demo workspace: same rows per model, same /changes cursor, same files."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from supportloop.privacy.backup import BackupError, backup_create, backup_restore, changes_cursor, model_counts
from supportloop.tickets.models import Attachment, Message

NOW = "2026-06-15T12:00:00+00:00"


@pytest.fixture
def demo(transactional_db):
    call_command("seed", seed=5, tickets=25, admin_password="pw-demo-1", now=NOW, no_hooks=True)
    message = Message.objects.order_by("id").first()
    Attachment.objects.create(
        message=message, file=ContentFile(b"%PDF-1.4 demo", name="spec.pdf"), filename="spec.pdf", size=13
    )
    return {"counts": model_counts(), "cursor": changes_cursor()}


def test_backup_writes_a_manifest_with_checksums_counts_and_the_cursor(demo, tmp_path):
    manifest = backup_create(out=tmp_path / "b")
    assert manifest["counts"] == demo["counts"] and manifest["changes_cursor"] == demo["cursor"] > 0
    assert any(name.startswith("media/") and name.endswith("spec.pdf") for name in manifest["files"])
    assert ("core", "0006_event_redaction") in {tuple(m) for m in manifest["migrations"]}
    on_disk = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert on_disk["files"] == manifest["files"]
    with pytest.raises(BackupError, match="not empty"):
        backup_create(out=tmp_path / "b")


def test_restore_refuses_a_tampered_backup_and_a_non_empty_target(demo, tmp_path):
    backup_create(out=tmp_path / "b")
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(tmp_path / "b"))
    media = next((tmp_path / "b" / "media").rglob("spec.pdf"))
    media.write_bytes(b"%PDF-1.4 demO")
    with pytest.raises(CommandError, match=r"Checksum mismatch: media/.*spec\.pdf"):
        call_command("restore", str(tmp_path / "b"), force=True)
    media.unlink()
    with pytest.raises(BackupError, match="missing"):
        backup_restore(src=tmp_path / "b", force=True)
    assert model_counts() == demo["counts"]  # nothing was touched


@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite")
def test_sqlite_restore_into_an_emptied_database_gives_the_same_counts_cursor_and_files(demo, tmp_path):
    call_command("backup", out=str(tmp_path / "b"))
    call_command("flush", interactive=False)
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()
    assert model_counts()["tickets.Ticket"] == 0
    call_command("restore", str(tmp_path / "b"))
    assert model_counts() == demo["counts"]
    assert changes_cursor() == demo["cursor"]
    assert Attachment.objects.get(filename="spec.pdf").file.read() == b"%PDF-1.4 demo"


@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3", reason="PostgreSQL")
def test_postgresql_restore_into_a_fresh_database_gives_the_same_counts_and_cursor(demo, tmp_path):
    backup_create(out=tmp_path / "b")
    db = dict(connection.settings_dict)
    fresh = f"{db['NAME']}_restore"
    conninfo = {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"], "password": db["PASSWORD"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
        admin.execute(f'CREATE DATABASE "{fresh}"')
    try:
        backup_restore(src=tmp_path / "b", database={**db, "NAME": fresh})
        with psycopg.connect(dbname=fresh, **conninfo) as restored:
            from django.apps import apps

            for label, expected in demo["counts"].items():
                table = apps.get_model(label)._meta.db_table
                sql = f'SELECT count(*) FROM "{table}"'  # noqa: S608 - a model's table name
                assert restored.execute(sql).fetchone()[0] == expected, label
            cursor = restored.execute("SELECT value FROM core_counter WHERE name = 'changes'").fetchone()[0]
            assert cursor == demo["cursor"]
            # The append-only guard came along with the schema.
            assert (
                restored.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'core_event_append_only'").fetchone()[
                    0
                ]
                == 1
            )
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
