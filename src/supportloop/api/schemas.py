"""Schemas shared across routers."""
from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class StrictIn(Schema):
    """Base for request bodies: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, str] = {}


PROBLEMS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 422: Problem,
            429: Problem}
