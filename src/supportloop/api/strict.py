"""Strict edges for every API operation: a query parameter, form field or file the operation does not declare
is a 422 naming it, and an operation that declares no body refuses one (an empty JSON object aside) rather than
ignore it. JSON bodies are already strict through their schemas (api/schemas/common.StrictIn, extra="forbid").

Installed once for the whole API (`api.add_decorator(strict_operation)` in api/urls.py). Ninja runs operation
decorators after authentication, throttling and schema validation, so an anonymous caller still gets 401 and a
misspelt parameter never reaches the view. The declared names come from the operation's own parameter models,
the same ones the OpenAPI document is built from.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja.errors import ValidationError

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
BODY_SOURCES = {"body", "form", "file"}


def _declared(operation, sources: set[str]) -> set[str]:
    names: set[str] = set()
    for model in operation.models:
        if model.__ninja_param_source__ not in sources:
            continue
        flatten = getattr(model, "__ninja_flatten_map__", None)
        names |= set(flatten) if flatten else {field.alias or name for name, field in model.model_fields.items()}
    return names


def _body_fields(request: HttpRequest) -> list[str]:
    """The names a client sent in a body, for an operation that takes none; [] when the body is empty."""
    if request.content_type in FORM_TYPES:
        return [*request.POST.keys(), *request.FILES.keys()]
    raw = request.body
    if not raw.strip():
        return []
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return ["body"]
    if isinstance(data, dict):
        return list(data)
    return ["body"]


def _unexpected(operation, request) -> list[dict]:
    errors: list[dict] = []
    query = _declared(operation, {"query"})
    errors.extend(
        {"loc": ("query", name), "msg": "unknown query parameter", "type": "extra_forbidden"}
        for name in request.GET
        if name not in query
    )
    takes = {m.__ninja_param_source__ for m in operation.models} & BODY_SOURCES
    if not takes:
        errors.extend(
            {"loc": ("body", name), "msg": "this operation takes no request body", "type": "body_not_allowed"}
            for name in _body_fields(request)
        )
    elif takes <= {"form", "file"}:
        fields = _declared(operation, {"form", "file"})
        errors.extend(
            {"loc": ("form", name), "msg": "unknown field", "type": "extra_forbidden"}
            for name in [*request.POST.keys(), *request.FILES.keys()]
            if name not in fields
        )
    return errors


def strict_operation(view_func: Callable) -> Callable:
    """Ninja operation decorator (mode "operation"): refuse what the operation does not declare."""
    operation = vars(view_func)["_ninja_operation"]  # set by Ninja on every function it routes

    @functools.wraps(view_func)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        errors = _unexpected(operation, request)
        if errors:
            raise ValidationError(errors)
        return view_func(request, *args, **kwargs)

    return checked
