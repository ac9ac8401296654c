"""Schemas of reports across domains."""

from __future__ import annotations

from ninja import Schema

from supportloop.api.schemas.common import UtcDatetime


class TagQualityQuery(Schema):
    since: UtcDatetime
    until: UtcDatetime


class TagQualityRowOut(Schema):
    agent_id: int | None
    agent: str
    tickets: int
    without_area: int
    without_reason: int
    catch_all: int
    poorly_tagged: int
    without_area_share: float
    without_reason_share: float
    catch_all_share: float
    poorly_tagged_share: float
