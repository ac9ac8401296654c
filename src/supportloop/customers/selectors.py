"""Reads of companies and contacts shared by the pages and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, TypedDict, TypeVar

from django.db.models import Model, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from supportloop.core.lookup import object_or_404
from supportloop.customers.models import BouncedAddress, Company, CompanyDomain, Contact, ContactEmail

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # ships with django-stubs (a dev dependency)


def company_list() -> QuerySet[Company]:
    return Company.objects.prefetch_related(Prefetch("domains", queryset=CompanyDomain.objects.order_by("domain")))


class LatestBounce(TypedDict):
    bounce_status: str | None
    bounce_diagnostic: str | None
    bounce_permanent: bool | None
    bounced_at: datetime | None
    suppressed_until: datetime | None


ContactEmailWithBounce: TypeAlias = "WithAnnotations[ContactEmail, LatestBounce]"


def contact_emails_with_bounces() -> QuerySet[ContactEmailWithBounce]:
    """A contact's addresses, each with its latest bounce (bounce_status, bounce_diagnostic, bounced_at,
    bounce_permanent, suppressed_until; None when it never bounced), in the one query that loads them."""
    bounce = BouncedAddress.objects.filter(email=OuterRef("email"))
    return ContactEmail.objects.order_by("id").annotate(
        bounce_status=Subquery(bounce.values("status")[:1]),
        bounce_diagnostic=Subquery(bounce.values("diagnostic")[:1]),
        bounce_permanent=Subquery(bounce.values("permanent")[:1]),
        bounced_at=Subquery(bounce.values("bounced_at")[:1]),
        suppressed_until=Subquery(bounce.values("suppressed_until")[:1]),
    )


def contact_list() -> QuerySet[Contact]:
    return Contact.objects.select_related("company").prefetch_related(
        Prefetch("emails", queryset=contact_emails_with_bounces())
    )


def address_suppressed(email: str) -> str | None:
    """Why automatic mail (acknowledgements, notices) must not go to this address now, or None.
    Call it before sending any automatic mail; mail a person types is sent anyway (the ticket page warns)."""
    row = BouncedAddress.objects.filter(
        email=(email or "").strip().lower(), suppressed_until__gt=timezone.now()
    ).first()
    if row is None:
        return None
    code = f"{row.status} " if row.status else ""
    return (
        f"{row.email} bounced permanently on {row.bounced_at:%Y-%m-%d} ({code}{row.diagnostic[:200]})"
        f"; automatic mail suppressed until {row.suppressed_until:%Y-%m-%d}"
    ).replace(" ()", "")


def addresses_bounced(emails: list[str]) -> list[BouncedAddress]:
    """The bounce rows of these addresses whose suppression is in force, in the order given (one query)."""
    wanted = [e.strip().lower() for e in emails if e]
    rows = {r.email: r for r in BouncedAddress.objects.filter(email__in=wanted, suppressed_until__gt=timezone.now())}
    return [rows[e] for e in dict.fromkeys(wanted) if e in rows]


# --- pages and lookups for the API (keyset pagination on the id, newest first) ---------------------------

from dataclasses import dataclass  # noqa: E402
from datetime import datetime  # noqa: E402

from supportloop.core.errors import NotFound, ValidationFailed  # noqa: E402
from supportloop.core.lookup import reference_or_422  # noqa: E402
from supportloop.customers.models import CustomerNote  # noqa: E402


def encode_id_cursor(pk: int) -> str:
    return f"i{pk}"


def decode_id_cursor(cursor: str) -> int:
    if not cursor.startswith("i") or not cursor[1:].isascii() or not cursor[1:].isdigit() or int(cursor[1:]) >= 2**63:
        raise ValidationFailed("The cursor is not valid.", errors={"cursor": "malformed"})
    return int(cursor[1:])


_M = TypeVar("_M", bound=Model)


def _id_page(qs: QuerySet[_M], *, cursor: str | None, limit: int) -> tuple[list[_M], str | None]:
    if cursor:
        qs = qs.filter(pk__lt=decode_id_cursor(cursor))
    rows = list(qs.order_by("-id")[: limit + 1])
    next_cursor = encode_id_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor


@dataclass
class ContactFilters:
    company: int | None = None
    email: str | None = None
    q: str | None = None
    updated_since: datetime | None = None

    def apply(self, qs: QuerySet[Contact]) -> QuerySet[Contact]:
        if self.company is not None:
            qs = qs.filter(company_id=self.company)
        if self.email:
            qs = qs.filter(pk__in=ContactEmail.objects.filter(email=self.email.strip().lower()).values("contact_id"))
        if self.q:
            qs = qs.filter(name__icontains=self.q)
        if self.updated_since is not None:
            qs = qs.filter(updated_at__gte=self.updated_since)
        return qs


def contact_page(
    *, filters: ContactFilters, cursor: str | None = None, limit: int = 50
) -> tuple[list[Contact], str | None]:
    """One page of contacts, newest first, with company and emails: two queries whatever the page size."""
    return _id_page(filters.apply(contact_list()), cursor=cursor, limit=limit)


def contact_get(*, contact_id: int) -> Contact:
    return object_or_404(contact_list(), pk=contact_id)


@dataclass
class CompanyFilters:
    q: str | None = None
    domain: str | None = None
    plan: str | None = None
    updated_since: datetime | None = None

    def apply(self, qs: QuerySet[Company]) -> QuerySet[Company]:
        if self.q:
            qs = qs.filter(name__icontains=self.q)
        if self.domain:
            qs = qs.filter(pk__in=CompanyDomain.objects.filter(domain=self.domain.strip().lower()).values("company_id"))
        if self.plan:
            qs = qs.filter(plan=self.plan)
        if self.updated_since is not None:
            qs = qs.filter(updated_at__gte=self.updated_since)
        return qs


def company_page(
    *, filters: CompanyFilters, cursor: str | None = None, limit: int = 50
) -> tuple[list[Company], str | None]:
    """One page of companies, newest first, with domains: two queries whatever the page size."""
    return _id_page(filters.apply(company_list()), cursor=cursor, limit=limit)


def company_get(*, company_id: int) -> Company:
    return object_or_404(company_list(), pk=company_id)


def customer_notes(*, company: Company | None = None, contact: Contact | None = None) -> QuerySet[CustomerNote]:
    """Internal notes on one company or contact, newest first, with their authors."""
    qs = CustomerNote.objects.select_related("author")
    qs = qs.filter(company=company) if company is not None else qs.filter(contact=contact)
    return qs.order_by("-created_at", "-id")


def customer_notes_of(*, company_id: int | None = None, contact_id: int | None = None) -> QuerySet[CustomerNote]:
    """Internal notes on one company or contact by id, newest first, without joins (for a larger query)."""
    owner: dict[str, int | None] = {"company_id": company_id} if company_id is not None else {"contact_id": contact_id}
    return CustomerNote.objects.filter(**owner).order_by("-created_at", "-id")


def company_get_ref(*, company_id: int, field: str = "company_id") -> Company:
    """A company named in a request body: an unknown id is a 422 on that field, not a 404 of the URL."""
    return reference_or_422(Company.objects.all(), field, company_id)


def contact_ref(*, contact_id: int | None, field: str = "contact_id") -> Contact | None:
    """A contact named in a request body (None stays None), with its company: unknown is a 422 on `field`."""
    return (
        None if contact_id is None else reference_or_422(Contact.objects.select_related("company"), field, contact_id)
    )


def customers_search(*, q: str = "", limit: int = 50) -> tuple[list[Company], list[Contact]]:
    """Companies and contacts whose name, domain or email address contains `q`, by name (the customers page)."""
    companies = company_list().order_by("name", "id")
    contacts = contact_list().order_by("name", "id")
    if q:
        companies = companies.filter(Q(name__icontains=q) | Q(domains__domain__icontains=q)).distinct()
        contacts = contacts.filter(Q(name__icontains=q) | Q(emails__email__icontains=q)).distinct()
    return list(companies[:limit]), list(contacts[:limit])


def company_contacts(*, company: Company, limit: int = 50) -> list[Contact]:
    return list(contact_list().filter(company=company).order_by("name", "id")[:limit])


def contact_emails_of(*, contact_id: int, limit: int = 5) -> list[ContactEmailWithBounce]:
    """A contact's addresses, each with its bounce (contact_emails_with_bounces): one query."""
    return list(contact_emails_with_bounces().filter(contact_id=contact_id)[:limit])


def company_or_contact(*, kind: str, pk: int | str) -> Company | Contact:
    """The company or contact a page URL names (kind "company" or "contact"); NotFound otherwise."""
    if kind not in ("company", "contact"):
        raise NotFound("No such customer.")
    if kind == "company":
        return object_or_404(Company.objects.all(), pk=pk)
    return object_or_404(Contact.objects.all(), pk=pk)
