"""Turn ids and slugs from untrusted input into objects, with errors that name the field."""

from __future__ import annotations

from typing import Any

from supportloop.accounts.models import Team, User
from supportloop.core.lookup import reference_or_422
from supportloop.tickets.models import ContactReason, Macro, ProductArea, ProductFeature

_REFS: dict[str, tuple[str, type[User | Team | ProductArea | ProductFeature | ContactReason | Macro], str]] = {
    "assignee_id": ("assignee", User, "pk"),
    "team_id": ("team", Team, "pk"),
    "product_area": ("product_area", ProductArea, "slug"),
    "product_feature": ("product_feature", ProductFeature, "slug"),
    "contact_reason": ("contact_reason", ContactReason, "slug"),
    "macro_id": ("macro", Macro, "pk"),
}


def resolve_ticket_refs(**refs: Any) -> dict[str, Any]:
    """Resolve the given references; None stays None (it clears the field), unknown values raise 422."""
    resolved: dict[str, Any] = {}
    for key, value in refs.items():
        name, model, lookup = _REFS[key]
        if value is None:
            resolved[name] = None
            continue
        resolved[name] = reference_or_422(model.objects.all(), key, value, key=lookup)
    return resolved
