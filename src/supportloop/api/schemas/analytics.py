"""Schemas of reports across domains."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ninja import Field, Schema

from supportloop.analytics.models import Dashboard
from supportloop.api.schemas.common import UtcDatetime, choices_of
from supportloop.surveys.choices import Window
from supportloop.tickets.choices import Channel


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


if TYPE_CHECKING:
    WindowT = str
    DashboardT = str
    ChannelT = str
else:
    WindowT = choices_of(Window)
    DashboardT = choices_of(Dashboard)
    ChannelT = choices_of(Channel)


class DashboardQuery(Schema):
    window: WindowT = Field(..., description="rated or solved: the satisfaction calculation window, always chosen")
    since: UtcDatetime | None = Field(None, description="default: 30 days before `until`")
    until: UtcDatetime | None = Field(None, description="default: now")
    channel: ChannelT | None = None
    product_area: int | None = Field(None, ge=1, le=2**62)
    contact_reason: int | None = Field(None, ge=1, le=2**62)


class DashboardTableOut(Schema):
    key: str
    title: str
    columns: list[str]
    rows: list[list[int | float | str | None]]
    note: str


class DashboardOut(Schema):
    dashboard: str
    window: str
    since: datetime
    until: datetime
    tables: list[DashboardTableOut]
