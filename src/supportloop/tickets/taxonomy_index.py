"""The taxonomy (a few dozen areas, features and reasons) held in the cache and attached to tickets in Python.

Joining the three taxonomy tables onto every ticket query made PostgreSQL plan an 8-table join: 14-76 ms of
planning for ~1 ms of execution at 1,000,000 tickets (benchmarks/RESULTS.md). Tickets now join only requester,
company, assignee and team, and `TaxonomyIterable` sets `product_area`, `product_feature` and `contact_reason`
from this index. The taxonomy services drop the cached index after commit; an id the index does not know
(written by another process before its cache entry expired) reloads it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models.query import ModelIterable
from django.db.models.signals import post_delete, post_save

from supportloop.tickets.models import ContactReason, ProductArea, ProductFeature

CACHE_KEY = "tickets:taxonomy-index:v1"
CACHE_SECONDS = 300


@dataclass
class TaxonomyIndex:
    areas: dict[int, ProductArea] = field(default_factory=dict)
    features: dict[int, ProductFeature] = field(default_factory=dict)
    reasons: dict[int, ContactReason] = field(default_factory=dict)

    def knows(self, ticket) -> bool:
        return (
            (ticket.product_area_id is None or ticket.product_area_id in self.areas)
            and (ticket.product_feature_id is None or ticket.product_feature_id in self.features)
            and (ticket.contact_reason_id is None or ticket.contact_reason_id in self.reasons)
        )

    def attach(self, ticket) -> None:
        # Assigning through the descriptor fills Django's related-object cache: no query on access.
        ticket.product_area = self.areas.get(ticket.product_area_id) if ticket.product_area_id else None
        ticket.product_feature = self.features.get(ticket.product_feature_id) if ticket.product_feature_id else None
        ticket.contact_reason = self.reasons.get(ticket.contact_reason_id) if ticket.contact_reason_id else None


def _load() -> TaxonomyIndex:
    areas = {a.pk: a for a in ProductArea.objects.all()}
    features = {}
    for feature in ProductFeature.objects.all():
        feature.area = areas[feature.area_id]
        features[feature.pk] = feature
    index = TaxonomyIndex(areas=areas, features=features, reasons={r.pk: r for r in ContactReason.objects.all()})
    cache.set(CACHE_KEY, index, CACHE_SECONDS)
    return index


def taxonomy_index(*, fresh: bool = False) -> TaxonomyIndex:
    index = None if fresh else cache.get(CACHE_KEY)
    return index if index is not None else _load()


def taxonomy_index_forget() -> None:
    cache.delete(CACHE_KEY)


def forget_after_commit(sender, **kwargs) -> None:
    """Signal receiver (cache invalidation only): any taxonomy write, from a service or the admin."""
    transaction.on_commit(taxonomy_index_forget)


def connect_invalidation() -> None:
    for model in (ProductArea, ProductFeature, ContactReason):
        post_save.connect(forget_after_commit, sender=model, dispatch_uid=f"taxonomy-index-{model.__name__}")
        post_delete.connect(forget_after_commit, sender=model, dispatch_uid=f"taxonomy-index-del-{model.__name__}")


class TaxonomyIterable(ModelIterable):
    """Yields tickets with their taxonomy attached from the index (no joins, no per-row queries)."""

    def __iter__(self):
        index = None
        for ticket in super().__iter__():
            if index is None:
                index = taxonomy_index()
            if not index.knows(ticket):
                index = taxonomy_index(fresh=True)
            index.attach(ticket)
            yield ticket
