"""Output schemas for companies, contacts and notes, shared by their routers and the changes feed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from ninja import Field, Schema

from supportloop.api.schemas.common import StrictIn
from supportloop.customers.models import Company, CustomerNote


class CompanyOut(Schema):
    id: int
    name: str
    domains: list[str]
    plan: str
    mrr: Decimal
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_company(cls, c: Company) -> dict:
        return {
            "id": c.pk,
            "name": c.name,
            "domains": [d.domain for d in c.domains.all()],
            "plan": c.plan,
            "mrr": c.mrr,
            "attributes": c.attributes,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }


class BouncedEmailOut(Schema):
    email: str
    permanent: bool = Field(..., description="the latest failure was permanent (RFC 3463 class 5)")
    status: str = Field(..., description="status code of the latest failure, e.g. 5.1.1 (or an SMTP reply code)")
    diagnostic: str
    bounced_at: datetime
    suppressed_until: datetime | None = Field(
        ..., description="automatic mail to the address is suppressed until then; null when it is not"
    )


class ContactOut(Schema):
    id: int
    name: str
    emails: list[str]
    bounced_emails: list[BouncedEmailOut] = Field(..., description="addresses of this contact whose mail bounced")
    company_id: int | None
    company_name: str | None
    language: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_contact(cls, c) -> dict:
        """`c` comes from customers.selectors.contact_list (its emails carry their bounce)."""
        emails, now = list(c.emails.all()), timezone.now()
        bounced = [
            {
                "email": e.email,
                "permanent": bool(e.bounce_permanent),
                "status": e.bounce_status or "",
                "diagnostic": e.bounce_diagnostic or "",
                "bounced_at": e.bounced_at,
                "suppressed_until": e.suppressed_until if e.suppressed_until and e.suppressed_until > now else None,
            }
            for e in emails
            if getattr(e, "bounced_at", None) is not None
        ]
        return {
            "id": c.pk,
            "name": c.name,
            "emails": [e.email for e in emails],
            "bounced_emails": bounced,
            "company_id": c.company_id,
            "company_name": c.company.name if c.company else None,
            "language": c.language,
            "attributes": c.attributes,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }


class CustomerNoteIn(StrictIn):
    body: str = Field(..., min_length=1, max_length=20000)


class CustomerNoteOut(Schema):
    id: int
    body: str
    author_id: int | None
    author_name: str | None
    created_at: datetime

    @classmethod
    def from_note(cls, n: CustomerNote) -> dict:
        return {
            "id": n.pk,
            "body": n.body,
            "author_id": n.author_id,
            "author_name": n.author.display_name if n.author else None,
            "created_at": n.created_at,
        }


class PageQuery(Schema):
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)
