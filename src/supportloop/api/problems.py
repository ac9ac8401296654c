"""The one place that turns errors into RFC 9457 problem documents (application/problem+json)."""

from __future__ import annotations

import json
import logging
import math

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

from supportloop.core.errors import DomainError

logger = logging.getLogger("supportloop.api")

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
}


def problem_response(
    status: int,
    detail: str,
    *,
    errors: dict[str, str] | None = None,
    type_slug: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    title = title or TITLES.get(status, "Error")
    body = {
        **(extra or {}),  # extension members (RFC 9457 §3.2); the standard ones below always win
        "type": f"https://supportloop.dev/problems/{type_slug or title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors or {},
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/problem+json"
    )
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _loc_to_field(loc) -> str:
    # Ninja's loc starts with the location and the view's parameter name ("body", "payload", ...);
    # drop those and keep the field path a client can act on, e.g. "actions.status".
    parts = [str(p) for p in loc]
    while parts and parts[0] in ("body", "query", "path", "form", "file", "payload", "data"):
        parts.pop(0)
    return ".".join(parts) or "body"


def validation_errors(errors: list[dict]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        field = _loc_to_field(err.get("loc", ()))
        message = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            message = "unknown query parameter" if tuple(err.get("loc", ()))[:1] == ("query",) else "unknown field"
        fields.setdefault(field, message)
    return fields


def install(api) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return problem_response(
            exc.status, exc.detail, errors=exc.errors, type_slug=exc.type_slug, title=exc.title, extra=exc.extra
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = validation_errors(exc.errors)
        detail = "; ".join(f"{k}: {v}" for k, v in fields.items())
        return problem_response(422, f"The request does not match the schema ({detail}).", errors=fields)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc) -> HttpResponse:
        return problem_response(
            401,
            "Authentication required: send 'Authorization: Bearer <token>' or sign in.",
            headers={"WWW-Authenticate": 'Bearer realm="supportloop"'},
        )

    @api.exception_handler(AuthorizationError)
    def authorization_error(request: HttpRequest, exc) -> HttpResponse:
        return problem_response(403, str(exc.message))

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        # Retry-After takes whole seconds (RFC 9110 §10.2.3).
        headers = {"Retry-After": str(max(1, math.ceil(exc.wait)))} if exc.wait else {}
        return problem_response(429, "Too many requests; slow down.", headers=headers)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = str(exc.message)
        if exc.status_code == 400:
            detail = f"The request body is not valid JSON ({detail})."
        return problem_response(exc.status_code, detail)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc) -> HttpResponse:
        return problem_response(404, str(exc) or "Not found.")

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc) -> HttpResponse:
        return problem_response(413, f"The request body is over the limit ({exc}).")

    @api.exception_handler(MultiPartParserError)
    def multipart_error(request: HttpRequest, exc) -> HttpResponse:
        return problem_response(400, f"The multipart body could not be read ({exc}).")

    @api.exception_handler(IntegrityError)
    def integrity_error(request: HttpRequest, exc) -> HttpResponse:
        # The services check uniqueness first; this is the race where two requests passed the check together.
        logger.info("integrity error turned into 409: %s", exc)
        return problem_response(409, "The change conflicts with data written at the same moment; retry it.")

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc) -> HttpResponse:
        logger.exception("unhandled API error", exc_info=exc)
        return problem_response(500, "An unexpected error occurred; it has been logged.")
