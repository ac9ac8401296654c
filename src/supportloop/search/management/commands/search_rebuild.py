"""Rebuild the search index in batches, resumably: `supportloop search_rebuild [--kind ticket] [--restart]`.

After (re)indexing a kind it removes that kind's orphans, the index rows of objects deleted outside the services
(by hand in SQL, by a partial restore), also in batches: the services delete index rows with their objects, so
orphans only come from outside them, and a rebuild is the moment to sweep them."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from supportloop.core.indexing import KINDS
from supportloop.search.documents import MODELS
from supportloop.search.engine import ORPHAN_BATCH, analyze_index, index_objects, orphans_delete
from supportloop.search.models import RebuildProgress


class Command(BaseCommand):
    help = "Rebuild the search index in batches. Resumes after the last finished batch unless --restart."

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=KINDS, action="append", help="only this kind (repeatable)")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--restart", action="store_true", help="start again from the first object")
        parser.add_argument("--orphan-batch-size", type=int, default=ORPHAN_BATCH)

    def handle(self, *args, kind=None, batch_size=500, restart=False, orphan_batch_size=ORPHAN_BATCH, **options):
        for name in kind or KINDS:
            self._rebuild(name, max(1, batch_size), restart)
            self._sweep(name, max(1, orphan_batch_size))
        analyze_index()

    def _sweep(self, kind: str, batch_size: int) -> None:
        def report(seen: int, deleted: int) -> None:
            self.stdout.write(f"\r{kind:<9}orphans: {seen} index rows checked, {deleted} removed", ending="")
            self.stdout.flush()

        deleted = orphans_delete(kind, batch=batch_size, progress=report)
        self.stdout.write(f"\r{kind}: {deleted} orphaned index rows removed".ljust(72))

    def _rebuild(self, kind: str, batch_size: int, restart: bool) -> None:
        model = MODELS[kind]
        progress, _created = RebuildProgress.objects.get_or_create(kind=kind)
        if restart or progress.finished_at is not None:
            progress.last_id, progress.started_at, progress.finished_at = 0, timezone.now(), None
        progress.total = model._default_manager.count()
        progress.save()
        done = model._default_manager.filter(pk__lte=progress.last_id).count()
        started = time.monotonic()
        while True:
            ids = list(
                model._default_manager.filter(pk__gt=progress.last_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            with transaction.atomic():  # a batch and its progress mark commit together: a restart redoes no batch
                index_objects(kind, ids)
                progress.last_id = ids[-1]
                progress.save(update_fields=["last_id"])
            done += len(ids)
            self._bar(kind, done, progress.total, started)
        progress.finished_at = timezone.now()
        progress.save(update_fields=["finished_at"])
        self.stdout.write(f"\r{kind}: {done} indexed in {time.monotonic() - started:.1f} s".ljust(72))

    def _bar(self, kind: str, done: int, total: int, started: float) -> None:
        share = done / total if total else 1.0
        filled = int(share * 30)
        rate = done / max(time.monotonic() - started, 1e-6)
        self.stdout.write(f"\r{kind:<9}[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {rate:.0f}/s", ending="")
        self.stdout.flush()
