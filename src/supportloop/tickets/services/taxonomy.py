"""Writes to the shared taxonomy: product areas, their features, and contact reasons."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.services import change_seq_next, event_record, field_changes
from supportloop.core.validation import clean_text
from supportloop.tickets.models import ContactReason, ProductArea, ProductFeature


def _slug(model, name: str, slug: str | None, exclude_pk=None) -> str:
    value = slugify(slug or name, allow_unicode=False)
    if not value:
        raise ValidationFailed("A slug is needed (letters, digits, hyphens).", errors={"slug": "required"})
    taken = model.objects.filter(slug=value)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise Conflict(f"The slug {value!r} is already used.", errors={"slug": "already used"})
    return value


def _clean_name(values: dict) -> dict:
    if "name" in values:
        values["name"] = clean_text(values["name"], field="name", required=True, max_length=100).strip()
    return values


@transaction.atomic
def product_area_create(*, name: str, slug: str | None = None, position: int = 0, actor=None) -> ProductArea:
    name = clean_text(name, field="name", required=True, max_length=100).strip()
    area = ProductArea.objects.create(name=name, slug=_slug(ProductArea, name, slug), position=position)
    event_record(actor=actor, verb="taxonomy.area_created", target=area, changes={"name": [None, name]})
    return area


@transaction.atomic
def product_area_update(*, area: ProductArea, actor=None, **values) -> ProductArea:
    _clean_name(values)
    if "slug" in values:
        values["slug"] = _slug(ProductArea, values.get("name", area.name), values["slug"], exclude_pk=area.pk)
    changes = field_changes(area, values)
    if changes:
        area.save()
        event_record(actor=actor, verb="taxonomy.area_updated", target=area, changes=changes)
    return area


@transaction.atomic
def product_feature_create(
    *, area: ProductArea, name: str, slug: str | None = None, position: int = 0, actor=None
) -> ProductFeature:
    name = clean_text(name, field="name", required=True, max_length=100).strip()
    feature = ProductFeature.objects.create(
        area=area, name=name, position=position, slug=_slug(ProductFeature, f"{area.slug}-{name}", slug)
    )
    event_record(
        actor=actor,
        verb="taxonomy.feature_created",
        target=feature,
        changes={"name": [None, name], "area": [None, area.pk]},
    )
    return feature


@transaction.atomic
def product_feature_update(*, feature: ProductFeature, actor=None, **values) -> ProductFeature:
    _clean_name(values)
    moves_area = "area" in values and values["area"] != feature.area
    seq = change_seq_next() if moves_area else None  # its tickets change area and enter the changes feed
    if "slug" in values:
        values["slug"] = _slug(ProductFeature, values.get("name", feature.name), values["slug"], exclude_pk=feature.pk)
    changes = field_changes(feature, values)
    if changes:
        feature.save()
        if "area" in changes:
            # Tickets keep their area in step with their feature.
            feature.tickets.update(product_area=feature.area, change_seq=seq)
        event_record(actor=actor, verb="taxonomy.feature_updated", target=feature, changes=changes)
    return feature


@transaction.atomic
def contact_reason_create(
    *, name: str, slug: str | None = None, is_catch_all: bool = False, position: int = 0, actor=None
) -> ContactReason:
    name = clean_text(name, field="name", required=True, max_length=100).strip()
    reason = ContactReason.objects.create(
        name=name, slug=_slug(ContactReason, name, slug), is_catch_all=is_catch_all, position=position
    )
    event_record(actor=actor, verb="taxonomy.reason_created", target=reason, changes={"name": [None, name]})
    return reason


@transaction.atomic
def contact_reason_update(*, reason: ContactReason, actor=None, **values) -> ContactReason:
    _clean_name(values)
    if "slug" in values:
        values["slug"] = _slug(ContactReason, values.get("name", reason.name), values["slug"], exclude_pk=reason.pk)
    changes = field_changes(reason, values)
    if changes:
        reason.save()
        event_record(actor=actor, verb="taxonomy.reason_updated", target=reason, changes=changes)
    return reason
