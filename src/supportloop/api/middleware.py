from typing import Any

from django.conf import settings

from supportloop.api.problems import problem_response


class ApiBodyLimitMiddleware:
    """Guards /api/ before any view runs: a body over SUPPORTLOOP_MAX_REQUEST_BYTES is a 413 problem before it
    is read (uploads to .../attachments may add SUPPORTLOOP_MAX_ATTACHMENT_BYTES), a NUL in a query string is a
    422 (no database column can hold it); afterwards the framework's HTML 404/405 pages become problems."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request) -> Any:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.SUPPORTLOOP_MAX_REQUEST_BYTES
            if request.META.get("CONTENT_TYPE", "").startswith("multipart/") and request.path.endswith("/attachments"):
                # Uploads: the files (each checked again against the attachment limit) plus the form fields.
                limit += settings.SUPPORTLOOP_MAX_ATTACHMENT_BYTES
            if length > limit:
                return problem_response(413, f"The request body is {length} bytes; the limit is {limit} bytes.")
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in v for v in values):
                    return problem_response(
                        422,
                        f"The query parameter {name!r} contains a NUL character.",
                        errors={name.replace("\x00", ""): "contains a NUL (\\u0000) character"},
                    )
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith(("application/problem+json", "application/json"))
        ):
            # Django's and Ninja's own 404/405 pages become problem documents too.
            allow = {"Allow": response["Allow"]} if response.has_header("Allow") else None
            return problem_response(response.status_code, "No such API endpoint or method.", headers=allow)
        return response
