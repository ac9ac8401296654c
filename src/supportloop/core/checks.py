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
