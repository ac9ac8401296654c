"""The one domain error type. Services raise it; the API and the pages turn it into a problem or a form error."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request.

    `status` is the HTTP status the edges should use; `errors` maps field names to messages; `extra` holds
    members a client can act on (e.g. the id of the row a conflict is about), added to the problem document.
    """

    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(
        self, detail: str, *, errors: dict[str, str] | None = None, status: int | None = None, extra: dict | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.extra = extra or {}
        if status is not None:
            self.status = status


class ValidationFailed(DomainError):
    status = 422
    title = "Validation failed"
    type_slug = "validation-failed"


class NotFound(DomainError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class PermissionDenied(DomainError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class TooLarge(DomainError):
    status = 413
    title = "Content too large"
    type_slug = "content-too-large"
