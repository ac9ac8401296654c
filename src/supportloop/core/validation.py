"""Checks on untrusted text and JSON shared by every write path (any app may use them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from supportloop.core.errors import ValidationFailed

# Ids the database can hold (64-bit signed); anything larger is a 422, never an overflow inside the database.
DB_INT_MAX = 2**63 - 1
DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]


def as_utc(value: datetime) -> datetime:
    """Naive means UTC. Offsets are folded into UTC here because PostgreSQL refuses offsets beyond ±15:59,
    which Python (and ISO 8601 parsers) accept."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("date out of range once converted to UTC") from exc


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]


def clean_text(value: str | None, *, field: str, required: bool = False, max_length: int | None = None) -> str:
    """Refuse text the database cannot store exactly (NUL, lone surrogates); keep everything else as given."""
    value = value or ""
    if "\x00" in value:
        raise ValidationFailed(
            f"{field} contains a NUL character, which cannot be stored.",
            errors={field: "contains a NUL (\\u0000) character"},
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(
            f"{field} is not valid Unicode text.", errors={field: "contains a lone surrogate"}
        ) from None
    if required and not value.strip():
        raise ValidationFailed(f"{field} is required.", errors={field: "required"})
    if max_length is not None and len(value) > max_length:
        raise ValidationFailed(
            f"{field} is longer than {max_length} characters.", errors={field: f"at most {max_length} characters"}
        )
    return value


def clean_json(value: Any, *, field: str, _depth: int = 0) -> Any:
    """Refuse JSON that PostgreSQL's jsonb cannot store (NUL in any key or string) or that nests absurdly deep."""
    if _depth > 20:
        raise ValidationFailed(f"{field} nests too deeply.", errors={field: "nested more than 20 levels"})
    if isinstance(value, str):
        return clean_text(value, field=field)
    if isinstance(value, dict):
        return {
            clean_text(str(k), field=field): clean_json(v, field=field, _depth=_depth + 1) for k, v in value.items()
        }
    if isinstance(value, list):
        return [clean_json(v, field=field, _depth=_depth + 1) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise ValidationFailed(f"{field} holds a number JSON cannot represent.", errors={field: "not finite"})
    return value
