"""Keep the feedback rollups exact when a company or contact is deleted elsewhere.

Deleting a company or contact sets the evidence's foreign key to NULL (no feedback service runs), which would
leave ItemStats counting them. The rollups are a cache of the evidence, so, as Django contrib does for its
caches, signals invalidate them: pre_delete notes the items affected, post_delete recomputes them.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, pre_delete

from supportloop.customers.models import Company, Contact

_FIELD = {Company: "company_id", Contact: "contact_id"}


def _note_items(sender, instance, **kwargs) -> None:
    from supportloop.feedback.models import Evidence

    field = _FIELD[sender]
    instance._feedback_item_ids = list(
        Evidence.objects.filter(**{field: instance.pk}).values_list("item_id", flat=True).distinct()
    )


def _recompute(sender, instance, **kwargs) -> None:
    from supportloop.feedback.rollups import stats_recompute

    item_ids = getattr(instance, "_feedback_item_ids", None)
    if item_ids:
        stats_recompute(item_ids=item_ids)


def connect() -> None:
    for model in _FIELD:
        pre_delete.connect(_note_items, sender=model, dispatch_uid=f"feedback-note-{model.__name__}")
        post_delete.connect(_recompute, sender=model, dispatch_uid=f"feedback-recompute-{model.__name__}")
