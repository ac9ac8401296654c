"""System checks so `supportloop check --deploy` tells an operator what is misconfigured."""
from django.conf import settings
from django.core.checks import Error, Warning, register


@register(deploy=True)
def check_supportloop_deploy(app_configs, **kwargs):
    problems = []
    if settings.DEBUG:
        problems.append(Error("SUPPORTLOOP_DEBUG is on in a deployment.", id="supportloop.E001",
                              hint="Unset SUPPORTLOOP_DEBUG."))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(Warning("SQLite is the embedded default; use PostgreSQL for more than one server.",
                                id="supportloop.W001", hint="Set DATABASE_URL=postgres://..."))
    if not settings.SUPPORTLOOP_CREDENTIALS_KEY:
        problems.append(Warning("SUPPORTLOOP_CREDENTIALS_KEY is not set; mailbox passwords fall back to a key "
                                "derived from SECRET_KEY.", id="supportloop.W002"))
    if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend") and settings.EMAIL_HOST == "localhost":
        problems.append(Warning("EMAIL_HOST is localhost; outbound mail may go nowhere.", id="supportloop.W003"))
    return problems


@register(deploy=True)
def check_rate_limits_are_shared(app_configs, **kwargs):
    """Rate limits and the sign-in throttle must count where every process sees them (core/ratelimit.py)."""
    problems = []
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.SUPPORTLOOP_RATE_LIMIT_STORE == "cache" and backend.endswith(("LocMemCache", "DummyCache")):
        problems.append(Error(
            "SUPPORTLOOP_RATE_LIMIT_STORE is 'cache' but the cache is per process (or none): every web process "
            "would count sign-in failures and API requests on its own.", id="supportloop.E020",
            hint="Set REDIS_URL, or SUPPORTLOOP_RATE_LIMIT_STORE=database."))
    if settings.SECURE_PROXY_SSL_HEADER and not settings.SUPPORTLOOP_TRUSTED_PROXIES:
        problems.append(Warning(
            "BEHIND_TLS_PROXY is on but SUPPORTLOOP_TRUSTED_PROXIES is empty: every client has the proxy's "
            "address, so per-address limits (sign-in, bad API tokens) are shared by everyone.",
            id="supportloop.W020", hint="Set SUPPORTLOOP_TRUSTED_PROXIES to the proxy's address or network."))
    return problems
