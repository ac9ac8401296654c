"""The REST API v1: one NinjaAPI with a router per domain."""
from __future__ import annotations

from ninja import NinjaAPI

from supportloop.api import problems
from supportloop.api.auth import AUTH
from supportloop.api.routers import ROUTERS
from supportloop.api.throttling import UserRateThrottle

api = NinjaAPI(
    title="supportloop API",
    version="1",
    description="Tickets, customers, taxonomy, macros and product feedback. Errors are RFC 9457 problem documents.",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[UserRateThrottle()],
)
problems.install(api)
for prefix, router in ROUTERS:
    api.add_router(prefix, router)
