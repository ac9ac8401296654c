"""The one way to turn an untrusted id into an object.

Two callers exist and they want different errors: an id in the URL names the resource itself, so a miss is a
404; an id in a request body is a reference to another row, so a miss is a 422 that names the field. Both take a
queryset rather than a model so the caller scopes the lookup to its parent (a message of *this* ticket, a token of
*this* user) and a row outside that scope is indistinguishable from one that does not exist.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from supportloop.core.errors import NotFound, ValidationFailed

M = TypeVar("M", bound=Model)
R = TypeVar("R")  # a row: a model, or what values_list makes of it


def one_or_none(queryset: QuerySet[Any, R]) -> R | None:
    """The row of a lookup on a unique key (a model, or a values_list tuple or value), or None: `.first()` without
    the ORDER BY it adds, which has nothing to sort on a unique key and costs the hot write paths about a tenth of
    their ORM time to compile."""
    return next(iter(queryset.order_by()[:1]), None)


def _first_or_none(queryset: QuerySet[M], lookup: dict[str, Any]) -> M | None:
    try:
        return one_or_none(queryset.filter(**lookup)) if lookup else None
    except (ValueError, TypeError, ValidationError):  # "abc" for an integer or UUID key is a miss, not a 500
        return None


def object_or_404(queryset: QuerySet[M], *, label: str | None = None, **lookup: Any) -> M:
    """The row the URL names, or NotFound (404) with a message that does not echo the raw id."""
    found = _first_or_none(queryset, lookup)
    if found is None:
        raise NotFound(f"No such {label or queryset.model._meta.verbose_name}.")
    return found


def reference_or_422(queryset: QuerySet[M], field: str, value: Any, *, key: str = "pk") -> M:
    """The row a body field refers to, or ValidationFailed (422) naming `field`."""
    found = _first_or_none(queryset, {key: value}) if value is not None else None
    if found is None:
        noun = queryset.model._meta.verbose_name
        raise ValidationFailed(f"No {noun} matches {field}.", errors={field: f"no such {noun}"})
    return found


def references_or_422(queryset: QuerySet[M], field: str, values: list[Any], *, key: str = "pk") -> list[M]:
    """Every row a list field refers to, in the given order, or ValidationFailed naming the missing values."""
    wanted = list(dict.fromkeys(values))
    try:
        by_key = {getattr(row, key): row for row in queryset.filter(**{f"{key}__in": wanted})}
    except (ValueError, TypeError, ValidationError):
        by_key = {}
    missing = [value for value in wanted if value not in by_key]
    if missing:
        noun = queryset.model._meta.verbose_name_plural
        shown = ", ".join(str(value) for value in missing[:10])
        raise ValidationFailed(f"Unknown {noun} in {field}.", errors={field: f"no such {noun}: {shown}"})
    return [by_key[value] for value in wanted]
