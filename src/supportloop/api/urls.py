"""The REST API v1: one NinjaAPI with a router per domain."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from supportloop.api import problems
from supportloop.api.auth import AUTH
from supportloop.api.routers import ROUTERS
from supportloop.api.strict import strict_operation
from supportloop.api.throttling import AccountRateThrottle


class SupportloopAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document says that every error response is application/problem+json."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any):
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(code).isdigit() and int(code) >= 400 and "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
        return schema


api = SupportloopAPI(
    title="supportloop API",
    version="1",
    description="Tickets, customers, taxonomy, macros and product feedback. Errors are RFC 9457 problem documents.",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[AccountRateThrottle()],
)
problems.install(api)
api.add_decorator(strict_operation, mode="operation")
for prefix, router in ROUTERS:
    api.add_router(prefix, router)
