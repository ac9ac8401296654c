"""Seed hook (`supportloop seed` calls it after the other apps): index what the seed wrote without the services.

Normal seeding goes through the services, which index as they write, so there is nothing left to do; bulk
seeding (COPY / executemany of tickets and messages) bypasses them, so this indexes every object that has no
index row yet, in batches. `supportloop seed` prints the time this hook took (the index build time).
"""

from __future__ import annotations

from django.db import transaction

from supportloop.core.indexing import KINDS
from supportloop.search.documents import MODELS
from supportloop.search.engine import analyze_index, index_objects
from supportloop.search.models import SearchDocument

BATCH = 1000


def index_missing(kind: str, *, batch: int = BATCH) -> int:
    """Index the objects of `kind` that have no index row. Returns how many were indexed."""
    model = MODELS[kind]
    done, last = 0, 0
    while True:
        ids = list(
            model._default_manager.filter(pk__gt=last)
            .exclude(pk__in=SearchDocument.objects.filter(kind=kind).values("object_id"))
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        with transaction.atomic():
            index_objects(kind, ids)
        done += len(ids)
        last = ids[-1]


def seed(*, rng, size: int) -> None:
    for kind in KINDS:
        index_missing(kind)
    analyze_index()
