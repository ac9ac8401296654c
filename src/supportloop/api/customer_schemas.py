"""Output schemas for companies, contacts and notes, shared by their routers and the changes feed."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from supportloop.api.schemas import StrictIn


class CompanyOut(Schema):
    id: int
    name: str
    domains: list[str]
    plan: str
    mrr: Decimal
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def from_company(c) -> dict:
        return {"id": c.pk, "name": c.name, "domains": [d.domain for d in c.domains.all()], "plan": c.plan,
                "mrr": c.mrr, "attributes": c.attributes, "created_at": c.created_at, "updated_at": c.updated_at}


class ContactOut(Schema):
    id: int
    name: str
    emails: list[str]
    company_id: int | None
    company_name: str | None
    language: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def from_contact(c) -> dict:
        return {"id": c.pk, "name": c.name, "emails": [e.email for e in c.emails.all()], "company_id": c.company_id,
                "company_name": c.company.name if c.company_id else None, "language": c.language,
                "attributes": c.attributes, "created_at": c.created_at, "updated_at": c.updated_at}


class CustomerNoteIn(StrictIn):
    body: str = Field(..., min_length=1, max_length=20000)


class CustomerNoteOut(Schema):
    id: int
    body: str
    author_id: int | None
    author_name: str | None
    created_at: datetime

    @staticmethod
    def from_note(n) -> dict:
        return {"id": n.pk, "body": n.body, "author_id": n.author_id,
                "author_name": n.author.display_name if n.author_id else None, "created_at": n.created_at}


class PageQuery(Schema):
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)
