"""Schemas of the privacy endpoints: legal holds, erasure, retention settings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ninja import Field, Schema

from supportloop.api.schemas import StrictIn
from supportloop.api.schemas.common import choices_of
from supportloop.privacy.choices import RetentionAction

if TYPE_CHECKING:  # mypy cannot build a Literal at run time: for it, a value is a str
    RetentionActionT = str
else:
    RetentionActionT = choices_of(RetentionAction)


class LegalHoldIn(StrictIn):
    reason: str = Field(..., min_length=1, max_length=300)


class LegalHoldOut(Schema):
    id: int
    contact_id: int | None
    company_id: int | None
    reason: str
    created_at: datetime


class ContactErasureIn(StrictIn):
    confirm: str = Field(..., max_length=50, description='must be "ERASE"')
    remove_evidence: bool = Field(False, description="unlink their feedback evidence instead of keeping it anonymous")


class ContactErasureOut(Schema):
    contact_id: int
    counts: dict[str, int]


class RetentionSettingsIn(StrictIn):
    enabled: bool | None = None
    days: int | None = Field(None, ge=1, le=36500)
    action: RetentionActionT | None = None


class RetentionSettingsOut(Schema):
    enabled: bool
    days: int
    action: str
    last_run_at: datetime | None
    updated_at: datetime
