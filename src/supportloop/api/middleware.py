from django.conf import settings

from supportloop.api.problems import problem_response


class ApiBodyLimitMiddleware:
    """Refuses API request bodies over SUPPORTLOOP_MAX_REQUEST_BYTES with a 413 problem before reading them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.SUPPORTLOOP_MAX_REQUEST_BYTES
            if length > limit:
                return problem_response(413, f"The request body is {length} bytes; the limit is {limit} bytes.")
        return self.get_response(request)
