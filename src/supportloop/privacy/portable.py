"""A full export of the workspace as JSON Lines, and its import into an empty workspace.

The file: a header line `{"format": "supportloop.export/1", "counts": {...}, "changes_cursor": n, ...}`, then
one line per row, `{"model": "tickets.Ticket", "pk": 12, "fields": {"subject": "...", "requester_id": 4, ...}}`,
models in dependency order (a row's foreign keys point at models written before it; a model's own rows by primary
key). Every model of every app is written (many-to-many tables too) except those a new database makes for itself
or that are derived: content types and permissions (and the admin log that points at them), sessions, the task
queue's results, rate-limit windows and the search index (rebuilt after an import). Uploaded files are written by
reference: `{"path": "attachments/...", "sha256": "...", "size": n}`; copy MEDIA_ROOT alongside (or use
`supportloop backup`).

The import refuses a workspace that already holds people, customers, tickets, feedback or audit events; rows that
migrations seed (defaults) are replaced. It runs in one transaction (nothing is left half-imported), keeps the
primary keys, resets the database sequences so the next row gets a fresh id, and brings the named counters (ticket
numbers, the /changes sequence) back as they were, since they are rows of core.Counter. The search index is
rebuilt afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from supportloop.core.indexing import KINDS, index_changed
from supportloop.core.models import Counter
from supportloop.core.services import CHANGES_COUNTER

FORMAT = "supportloop.export/1"
SKIPPED = {
    "contenttypes.ContentType",
    "auth.Permission",
    "auth.Group_permissions",
    "accounts.User_user_permissions",
    "admin.LogEntry",
    "sessions.Session",
    "django_tasks_database.DBTaskResult",
    "core.RateCounter",
    "search.SearchDocument",
    "search.RebuildProgress",
}
# An "empty workspace" holds none of these; anything else it holds was seeded by migrations and is replaced.
WORKSPACE_DATA = (
    "core.Event",
    "accounts.User",
    "customers.Company",
    "customers.Contact",
    "tickets.Ticket",
    "feedback.FeedbackItem",
)
BATCH = 500


class PortableError(Exception):
    """An export or import refused or failed; the message says why."""


def exported_models() -> list[type[models.Model]]:
    """Every model with a table of its own, minus SKIPPED, parents before the models that point at them."""
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label not in SKIPPED
    ]
    ordered: list[type[models.Model]] = []
    seen: set[type[models.Model]] = set()

    def visit(model: type[models.Model], path: tuple) -> None:
        if model in seen or model in path:
            return  # done, or a cycle (deferred foreign keys let the import take it in one transaction)
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if isinstance(target, type) and target is not model and target in candidates:
                visit(target, (*path, model))
        seen.add(model)
        ordered.append(model)

    for model in sorted(candidates, key=lambda m: m._meta.label):
        visit(model, ())
    return ordered


def _sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _encode(field: models.Field, obj: models.Model) -> Any:
    value = field.value_from_object(obj)
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return value
    if isinstance(field, models.FileField):
        if not value:
            return None
        path = Path(settings.MEDIA_ROOT) / value.name
        return {"path": value.name, "sha256": _sha256(path), "size": path.stat().st_size if path.is_file() else None}
    if isinstance(field, models.BinaryField):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (bool, int, float, str)):
        return value
    return field.value_to_string(obj)  # datetimes, dates, decimals, UUIDs, durations as Django writes them


def _decode(field: models.Field, value: Any) -> Any:
    if value is None or isinstance(field, models.JSONField):
        return value
    if isinstance(field, models.FileField):
        return value["path"]
    if isinstance(field, models.BinaryField):
        return base64.b64decode(value["base64"])
    return field.to_python(value)


def _counts(models_: list[type[models.Model]]) -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in models_}


def _cursor() -> int:
    row = Counter.objects.filter(name=CHANGES_COUNTER).first()
    return row.value if row else 0


def export_jsonl(out: IO[str]) -> dict[str, Any]:
    """Write the whole workspace to `out` as JSON Lines; returns the header. One read transaction (on PostgreSQL
    repeatable read), so the file is one consistent moment."""
    models_ = exported_models()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        header = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "vendor": connection.vendor,
            "counts": _counts(models_),
            "changes_cursor": _cursor(),
        }
        out.write(json.dumps(header, sort_keys=True) + "\n")
        for model in models_:
            fields = [f for f in model._meta.concrete_fields if not f.primary_key]
            pk = model._meta.pk
            for obj in model._base_manager.order_by("pk").iterator(chunk_size=2000):
                row = {"model": model._meta.label, "pk": _encode(pk, obj), "fields": {}}
                for field in fields:
                    if getattr(field, "attname", None) == "vector":  # a search vector (derived) never leaves
                        continue
                    row["fields"][field.attname] = _encode(field, obj)
                out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return header


def _lines(src: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(src, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as exc:
            raise PortableError(f"Line {number} is not JSON: {exc}") from exc


def import_jsonl(src: IO[str]) -> dict[str, Any]:
    """Import an export into an empty workspace, in one transaction. Returns rows per model and the files the
    file refers to that are missing or differ in MEDIA_ROOT."""
    allowed = {m._meta.label: m for m in exported_models()}
    holding = [label for label in WORKSPACE_DATA if apps.get_model(label)._base_manager.exists()]
    if holding:
        raise PortableError(
            f"The workspace is not empty (rows in {', '.join(holding)}); import only into an empty workspace."
        )
    lines = _lines(src)
    try:
        _, header = next(lines)
    except StopIteration:
        raise PortableError("The file is empty.") from None
    if header.get("format") != FORMAT:
        raise PortableError(f"Not a supportloop export (format {header.get('format')!r}).")
    imported: dict[str, int] = {}
    files = {"missing": 0, "different": 0}
    with transaction.atomic():
        for model in allowed.values():
            model._base_manager.all()._raw_delete(connection.alias)  # migration defaults; the file brings its own
        pending: list[models.Model] = []
        current: type[models.Model] | None = None

        def flush() -> None:
            if pending:
                current._base_manager.bulk_create(pending, batch_size=BATCH)  # type: ignore[union-attr]
                imported[current._meta.label] = imported.get(current._meta.label, 0) + len(pending)  # type: ignore[union-attr]
                pending.clear()

        for number, row in lines:
            label = row.get("model") if isinstance(row, dict) else None
            found = allowed.get(label) if isinstance(label, str) else None
            if found is None:
                raise PortableError(f"Line {number}: unknown or excluded model {label!r}.")
            model = found
            if model is not current:
                flush()
                current = model
            by_attname = {f.attname: f for f in model._meta.concrete_fields}
            values = row.get("fields")
            if not isinstance(values, dict) or set(values) - set(by_attname):
                raise PortableError(f"Line {number}: unknown fields for {label}.")
            try:
                kwargs = {name: _decode(by_attname[name], value) for name, value in values.items()}
                kwargs[model._meta.pk.attname] = _decode(model._meta.pk, row.get("pk"))
            except Exception as exc:  # a value its field cannot take: name the line
                raise PortableError(f"Line {number}: {label}: {exc}") from exc
            for name, value in values.items():
                if isinstance(by_attname[name], models.FileField) and value:
                    actual = _sha256(Path(settings.MEDIA_ROOT) / value["path"])
                    if actual is None:
                        files["missing"] += 1
                    elif actual != value.get("sha256"):
                        files["different"] += 1
            pending.append(model(**kwargs))
            if len(pending) >= BATCH:
                flush()
        flush()
        expected = header.get("counts", {})
        wrong = {label: (imported.get(label, 0), n) for label, n in expected.items() if imported.get(label, 0) != n}
        if wrong:
            raise PortableError(f"The file's rows do not match its header: {wrong}")
        _sequences_reset(list(allowed.values()))
    for kind in KINDS:
        _reindex(kind)
    return {"counts": imported, "files": files, "changes_cursor": _cursor()}


def _sequences_reset(models_: list[type[models.Model]]) -> None:
    """After rows were inserted with their ids: the next id of every table follows the largest (PostgreSQL)."""
    statements = connection.ops.sequence_reset_sql(no_style(), models_)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


INDEXED = {
    "ticket": "tickets.Ticket",
    "contact": "customers.Contact",
    "company": "customers.Company",
    "feedback": "feedback.FeedbackItem",
}


def _reindex(kind: str) -> None:
    model = apps.get_model(INDEXED[kind])
    ids = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            index_changed(kind, ids[start : start + BATCH])
