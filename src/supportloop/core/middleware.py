from django.conf import settings

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    """Sets a strict Content-Security-Policy on every response that has none of its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "SUPPORTLOOP_CSP", CSP)

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/docs") or request.path.startswith("/admin/"):
            return response
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
