"""Checks on untrusted text shared by every write path."""
from __future__ import annotations

from supportloop.core.errors import ValidationFailed


def clean_text(value: str | None, *, field: str, required: bool = False, max_length: int | None = None) -> str:
    """Refuse text the database cannot store exactly (NUL, lone surrogates); keep everything else as given."""
    value = value or ""
    if "\x00" in value:
        raise ValidationFailed(f"{field} contains a NUL character, which cannot be stored.",
                               errors={field: "contains a NUL (\\u0000) character"})
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(f"{field} is not valid Unicode text.", errors={field: "contains a lone surrogate"})
    if required and not value.strip():
        raise ValidationFailed(f"{field} is required.", errors={field: "required"})
    if max_length is not None and len(value) > max_length:
        raise ValidationFailed(f"{field} is longer than {max_length} characters.",
                               errors={field: f"at most {max_length} characters"})
    return value
