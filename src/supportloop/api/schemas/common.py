"""Schemas shared by every domain: ids, dates, the strict base of request bodies, problem documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from django.db.models import Choices
from ninja import Field, Path, Schema
from pydantic import ConfigDict, field_validator

from supportloop.core.validation import DB_INT_MAX, UtcDatetime  # noqa: F401  (UtcDatetime: re-exported)

Id = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
PathId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]


def choices_of(choices: type[Choices] | Iterable[str], *, exclude: Iterable[str] = ()) -> Any:
    """A Literal of a model's choices (TextChoices, or the values of another definition such as a selector's
    sort keys), in their order: API enums are taken from the model, never copied by hand, so a value added to
    the model is accepted by the API the same day (a test compares every API enum with its source)."""
    values = choices.values if isinstance(choices, type) and issubclass(choices, Choices) else list(choices)
    skip = set(exclude)
    return Literal[tuple(str(v) for v in values if v not in skip)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


class StrictIn(Schema):
    """Base for request bodies: unknown fields are rejected, not ignored; NUL characters, which no
    database column can hold, are refused in every string (nested ones too) with the field named."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("contains a NUL (\\u0000) character")
        return value


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, str] = {}


PROBLEMS = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    413: Problem,
    422: Problem,
    429: Problem,
}
