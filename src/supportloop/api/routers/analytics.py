"""Reports across domains. The tag-quality report is served under /feedback/reports/ (its address since it was
first published), so this router is mounted at /feedback next to the feedback router."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router

from supportloop.accounts.permissions import require
from supportloop.analytics.selectors import tag_quality_report
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS
from supportloop.api.schemas.analytics import TagQualityQuery, TagQualityRowOut

router = Router(tags=["analytics"])


@router.get(
    "/reports/tag-quality",
    response={200: list[TagQualityRowOut], **PROBLEMS},
    summary="Per agent: share of tickets without product area or contact reason, or under a catch-all",
    operation_id="tag_quality_report",
)
def tag_quality(request: ApiRequest, query: Query[TagQualityQuery]) -> list[dict[str, Any]]:
    require(request.auth, "report.view")
    return tag_quality_report(since=query.since, until=query.until)
