"""System checks so `supportloop check --deploy` tells an operator what is misconfigured."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections


@register(deploy=True)
def check_supportloop_deploy(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if settings.DEBUG:
        problems.append(
            Error("SUPPORTLOOP_DEBUG is on in a deployment.", id="supportloop.E001", hint="Unset SUPPORTLOOP_DEBUG.")
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning(
                "SQLite is the embedded default; use PostgreSQL for more than one server.",
                id="supportloop.W001",
                hint="Set DATABASE_URL=postgres://...",
            )
        )
    if not settings.SUPPORTLOOP_CREDENTIALS_KEY:
        problems.append(
            Warning(
                "SUPPORTLOOP_CREDENTIALS_KEY is not set; mailbox passwords fall back to a key derived from SECRET_KEY.",
                id="supportloop.W002",
            )
        )
    if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend") and settings.EMAIL_HOST == "localhost":
        problems.append(Warning("EMAIL_HOST is localhost; outbound mail may go nowhere.", id="supportloop.W003"))
    return problems


@register(deploy=True)
def check_rate_limits_are_shared(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Rate limits and the sign-in throttle must count where every process sees them (core/ratelimit.py)."""
    problems: list[CheckMessage] = []
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.SUPPORTLOOP_RATE_LIMIT_STORE == "cache" and backend.endswith(("LocMemCache", "DummyCache")):
        problems.append(
            Error(
                "SUPPORTLOOP_RATE_LIMIT_STORE is 'cache' but the cache is per process (or none): every web process "
                "would count sign-in failures and API requests on its own.",
                id="supportloop.E020",
                hint="Set REDIS_URL, or SUPPORTLOOP_RATE_LIMIT_STORE=database.",
            )
        )
    if settings.SECURE_PROXY_SSL_HEADER and not settings.SUPPORTLOOP_TRUSTED_PROXIES:
        problems.append(
            Warning(
                "BEHIND_TLS_PROXY is on but SUPPORTLOOP_TRUSTED_PROXIES is empty: every client has the proxy's "
                "address, so per-address limits (sign-in, bad API tokens) are shared by everyone.",
                id="supportloop.W020",
                hint="Set SUPPORTLOOP_TRUSTED_PROXIES to the proxy's address or network.",
            )
        )
    return problems


DURABILITY = {
    # setting: (id, why it matters)
    "synchronous_commit": (
        "supportloop.W010",
        "a crash can lose transactions that were already reported as "
        "committed (a ticket, a reply, an ingested mail whose IMAP copy "
        "was then marked seen)",
    ),
    "fsync": ("supportloop.W011", "a crash or power loss can corrupt the database"),
}


def postgres_durability_settings(connection) -> dict[str, str]:
    """The server's values as this connection sees them (SHOW: a per-session SET counts too)."""
    values = {}
    with connection.cursor() as cursor:
        for name in DURABILITY:
            cursor.execute(f"SHOW {name}")
            values[name] = cursor.fetchone()[0]
    return values


@register(deploy=True)
def check_postgres_durability(
    app_configs: Sequence[AppConfig] | None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when PostgreSQL runs without durable commits. Only PostgreSQL is asked; SQLite stays silent."""
    problems: list[CheckMessage] = []
    for alias in databases or [DEFAULT_DB_ALIAS]:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        try:
            values = postgres_durability_settings(connection)
        except DatabaseError as exc:
            problems.append(
                Warning(
                    f"Could not read PostgreSQL settings of database '{alias}': {type(exc).__name__}.",
                    id="supportloop.W012",
                )
            )
            continue
        for name, (check_id, why) in DURABILITY.items():
            if values.get(name) == "off":
                problems.append(
                    Warning(
                        f"PostgreSQL database '{alias}' runs with {name} = off: {why}.",
                        id=check_id,
                        hint=f"Set {name} = on in postgresql.conf (or remove the "
                        f"ALTER SYSTEM/ALTER DATABASE/ALTER ROLE that turns it "
                        f"off) and reload PostgreSQL.",
                    )
                )
    return problems


@register()
def check_currency(app_configs, **kwargs):
    """SUPPORTLOOP_CURRENCY must be an ISO 4217 code that Babel can format (USD, EUR, CNY, RUB ...)."""
    from babel.numbers import get_currency_name
    from django.conf import settings

    code = getattr(settings, "SUPPORTLOOP_CURRENCY", "USD")
    if get_currency_name(code, locale="en") == code:  # Babel answers an unknown code with the code itself
        return [
            Error(
                f"SUPPORTLOOP_CURRENCY={code!r} is not a known ISO 4217 currency code.",
                id="supportloop.E030",
                hint="Set SUPPORTLOOP_CURRENCY to a code such as USD, EUR, GBP, CNY or RUB.",
            )
        ]
    return []
