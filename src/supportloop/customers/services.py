"""Writes for companies, contacts and customer notes."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.core.compiled import compiled_one_or_none
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.indexing import COMPANY, CONTACT, index_changed
from supportloop.core.services import (
    change_seq_next,
    change_seq_take,
    event_build,
    event_record,
    events_record_many,
    model_update,
    transaction_required,
)
from supportloop.core.validation import clean_json, clean_text
from supportloop.customers.choices import Plan
from supportloop.customers.models import (
    BouncedAddress,
    Company,
    CompanyDomain,
    Contact,
    ContactEmail,
    CustomerNote,
)

# Domains of free mail providers never identify a company.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "mail.ru",
        "yandex.ru",
        "qq.com",
        "163.com",
        "126.com",
    }
)


def _mrr(value: Decimal | int | str) -> Decimal:
    try:
        mrr = Decimal(str(value))
    except ArithmeticError:
        raise ValidationFailed(f"{value!r} is not an amount.", errors={"mrr": "not a number"}) from None
    if not mrr.is_finite() or mrr < 0 or mrr >= Decimal("1e10"):
        raise ValidationFailed("MRR must be between 0 and 9,999,999,999.99.", errors={"mrr": "out of range"})
    return mrr.quantize(Decimal("0.01"))


def normalize_email(raw: str, *, field: str = "email") -> str:
    email = clean_text(raw, field=field, max_length=254).strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            f"{raw!r} is not a valid email address.", errors={field: "not a valid email address"}
        ) from None
    return email


def normalize_domain(raw: str) -> str:
    domain = clean_text(raw, field="domains", max_length=253).strip().lower().lstrip("@")
    if not domain or "." not in domain or " " in domain or "@" in domain:
        raise ValidationFailed(f"{raw!r} is not a valid domain.", errors={"domains": f"{raw!r} is not a domain"})
    return domain


@transaction.atomic
def company_create(
    *,
    name: str,
    domains: list[str] | None = None,
    plan: str = Plan.FREE,
    mrr: Decimal | int | str = 0,
    attributes: dict[str, Any] | None = None,
    actor: User | None = None,
) -> Company:
    seq = change_seq_next()
    name = clean_text(name, field="name", max_length=200)
    if not name.strip():
        raise ValidationFailed("A company needs a name.", errors={"name": "required"})
    if plan not in Plan.values:
        raise ValidationFailed(f"Unknown plan {plan!r}.", errors={"plan": f"must be one of {', '.join(Plan.values)}"})
    clean = sorted({normalize_domain(d) for d in domains or []})
    taken = list(CompanyDomain.objects.filter(domain__in=clean).values_list("domain", flat=True))
    if taken:
        raise Conflict(f"Domain already belongs to another company: {', '.join(taken)}", errors={"domains": "taken"})
    company = Company.objects.create(
        name=name.strip(),
        plan=plan,
        mrr=_mrr(mrr),
        attributes=clean_json(attributes or {}, field="attributes"),
        change_seq=seq,
    )
    CompanyDomain.objects.bulk_create([CompanyDomain(company=company, domain=d) for d in clean])
    event_record(
        actor=actor,
        verb="company.created",
        target=company,
        changes={
            "name": [None, company.name],
            "plan": [None, plan],
            "mrr": [None, company.mrr],
            "domains": [[], clean],
        },
    )
    index_changed(COMPANY, [company.pk])
    return company


COMPANY_FIELDS = ("name", "plan", "mrr", "attributes")
CONTACT_FIELDS = ("name", "company", "language", "attributes")


@transaction.atomic
def company_update(
    *, company: Company, actor: User | None = None, domains: list[str] | None = None, **values: Any
) -> Company:
    seq = change_seq_next()
    if "name" in values:
        values["name"] = clean_text(values["name"], field="name", required=True, max_length=200).strip()
    if "plan" in values and values["plan"] not in Plan.values:
        raise ValidationFailed("Unknown plan.", errors={"plan": f"must be one of {', '.join(Plan.values)}"})
    if "mrr" in values:
        values["mrr"] = _mrr(values["mrr"])
    if "attributes" in values:
        values["attributes"] = clean_json(values["attributes"] or {}, field="attributes")
    touch = {"updated_at": timezone.now(), "change_seq": seq}
    domain_changes: dict[str, list[Any]] = {}
    if domains is not None:
        clean = sorted({normalize_domain(d) for d in domains})
        before = sorted(company.domains.values_list("domain", flat=True))
        if clean != before:
            taken = list(
                CompanyDomain.objects.filter(domain__in=clean).exclude(company=company).values_list("domain", flat=True)
            )
            if taken:
                raise Conflict(
                    f"Domain already belongs to another company: {', '.join(taken)}", errors={"domains": "taken"}
                )
            company.domains.exclude(domain__in=clean).delete()
            CompanyDomain.objects.bulk_create(
                [CompanyDomain(company=company, domain=d) for d in clean if d not in before]
            )
            domain_changes["domains"] = [before, clean]
    changes = (
        model_update(company, values, allowed_fields=COMPANY_FIELDS, touch=touch, force=bool(domain_changes))
        | domain_changes
    )
    if changes:
        event_record(actor=actor, verb="company.updated", target=company, changes=changes)
        index_changed(COMPANY, [company.pk])
    return company


def company_for_email(email: str) -> Company | None:
    domain = email.rsplit("@", 1)[-1].lower()
    if domain in PUBLIC_MAIL_DOMAINS:
        return None
    match = compiled_one_or_none(
        ("customers: company by domain",),
        lambda ids: CompanyDomain.objects.select_related("company").filter(domain=ids["domain"]),
        {"domain": domain},
    )
    return match.company if match else None


def contact_create_in_transaction(
    *,
    name: str = "",
    emails: list[str],
    company: Company | None = None,
    language: str = "",
    attributes: dict[str, Any] | None = None,
    actor: User | None = None,
    emails_looked_up: bool = False,
) -> Contact:
    """contact_create inside the caller's transaction (contact_get_or_create_by_email's savepoint).
    `emails_looked_up`: the caller found no contact with these addresses a moment ago (the unique index and the
    caller's savepoint still catch one created since), so they are not read again."""
    transaction_required("contact_create_in_transaction")
    seq = change_seq_next()
    name = clean_text(name, field="name", max_length=200)
    clean = list(dict.fromkeys(normalize_email(e, field="emails") for e in emails))
    if not clean:
        raise ValidationFailed("A contact needs at least one email address.", errors={"emails": "required"})
    taken = (
        [] if emails_looked_up else list(ContactEmail.objects.filter(email__in=clean).values_list("email", flat=True))
    )
    if taken:
        raise Conflict(f"Email already belongs to another contact: {', '.join(taken)}", errors={"emails": "taken"})
    if company is None:
        company = company_for_email(clean[0])
    contact = Contact.objects.create(
        name=name.strip(),
        company=company,
        language=language,
        attributes=clean_json(attributes or {}, field="attributes"),
        change_seq=seq,
    )
    ContactEmail.objects.bulk_create([ContactEmail(contact=contact, email=e) for e in clean])
    event_record(
        actor=actor,
        verb="contact.created",
        target=contact,
        changes={"emails": [[], clean], "company": [None, company.pk if company else None]},
    )
    index_changed(CONTACT, [contact.pk])
    return contact


@transaction.atomic
def contact_create(
    *,
    name: str = "",
    emails: list[str],
    company: Company | None = None,
    language: str = "",
    attributes: dict[str, Any] | None = None,
    actor: User | None = None,
) -> Contact:
    return contact_create_in_transaction(
        name=name, emails=emails, company=company, language=language, attributes=attributes, actor=actor
    )


@transaction.atomic
def contact_update(
    *, contact: Contact, actor: User | None = None, emails: list[str] | None = None, **values: Any
) -> Contact:
    seq = change_seq_next()
    if "name" in values:
        values["name"] = clean_text(values["name"], field="name", max_length=200).strip()
    if "language" in values:
        values["language"] = clean_text(values["language"], field="language", max_length=10)
    if "attributes" in values:
        values["attributes"] = clean_json(values["attributes"] or {}, field="attributes")
    touch = {"updated_at": timezone.now(), "change_seq": seq}
    email_changes: dict[str, list[Any]] = {}
    if emails is not None:
        clean = list(dict.fromkeys(normalize_email(e, field="emails") for e in emails))
        if not clean:
            raise ValidationFailed("A contact needs at least one email address.", errors={"emails": "required"})
        before = list(contact.emails.values_list("email", flat=True))
        if clean != before:
            taken = list(
                ContactEmail.objects.filter(email__in=clean).exclude(contact=contact).values_list("email", flat=True)
            )
            if taken:
                raise Conflict(
                    f"Email already belongs to another contact: {', '.join(taken)}", errors={"emails": "taken"}
                )
            contact.emails.exclude(email__in=clean).delete()
            ContactEmail.objects.bulk_create([ContactEmail(contact=contact, email=e) for e in clean if e not in before])
            email_changes["emails"] = [before, clean]
    changes = (
        model_update(contact, values, allowed_fields=CONTACT_FIELDS, touch=touch, force=bool(email_changes))
        | email_changes
    )
    if changes:
        event_record(actor=actor, verb="contact.updated", target=contact, changes=changes)
        index_changed(CONTACT, [contact.pk])
    return contact


def contact_get_or_create_by_email(
    *, email: str, name: str = "", language: str = "", actor: User | None = None
) -> tuple[Contact, bool]:
    """Match a contact by any of its addresses, or create one (with its company matched by domain)."""
    clean = normalize_email(email)
    existing = compiled_one_or_none(
        ("customers: contact by address",),
        lambda ids: ContactEmail.objects.select_related("contact__company").filter(email=ids["email"]),
        {"email": clean},
    )
    if existing:
        return existing.contact, False
    try:
        with transaction.atomic():
            # This block is contact_create's savepoint (one, not two), so the body runs without its own atomic.
            return contact_create_in_transaction(
                name=name or clean.split("@")[0], emails=[clean], language=language, actor=actor, emails_looked_up=True
            ), True
    except (Conflict, IntegrityError):
        # Another request created the same address between our read and our write.
        return ContactEmail.objects.select_related("contact__company").get(email=clean).contact, False


def contacts_get_or_create_many_in_transaction(
    entries: list[tuple[str, str, str]], *, actor: User | None = None
) -> dict[str, tuple[Contact, bool]]:
    """contact_get_or_create_by_email for many (email, name, language) entries at once, in a fixed number of
    statements, inside the caller's transaction: {normalised email: (contact, created)}. An address repeated
    in `entries` makes one contact (the first entry's name and language). A concurrent creator of the same
    address makes this raise IntegrityError; the caller retries one by one (the mail ingest does)."""
    transaction_required("contacts_get_or_create_many_in_transaction")
    wanted: dict[str, tuple[str, str]] = {}
    for email, name, language in entries:
        wanted.setdefault(normalize_email(email), (name, language))
    found: dict[str, tuple[Contact, bool]] = {
        row.email: (row.contact, False)
        for row in ContactEmail.objects.select_related("contact__company").filter(email__in=list(wanted))
    }
    missing = [e for e in wanted if e not in found]
    if not missing:
        return found
    first_seq = change_seq_take(len(missing))
    domains = {e.rsplit("@", 1)[-1] for e in missing} - PUBLIC_MAIL_DOMAINS
    companies = {
        d.domain: d.company for d in CompanyDomain.objects.select_related("company").filter(domain__in=domains)
    }
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                name=clean_text(wanted[e][0] or e.split("@")[0], field="name", max_length=200).strip(),
                company=companies.get(e.rsplit("@", 1)[-1]),
                language=wanted[e][1],
                attributes={},
                change_seq=first_seq + i,
            )
            for i, e in enumerate(missing)
        ]
    )
    ContactEmail.objects.bulk_create([ContactEmail(contact=c, email=e) for c, e in zip(contacts, missing, strict=True)])
    events_record_many(
        [
            event_build(
                actor=actor,
                verb="contact.created",
                target=c,
                changes={"emails": [[], [e]], "company": [None, c.company_id]},
            )
            for c, e in zip(contacts, missing, strict=True)
        ]
    )
    found.update((e, (c, True)) for c, e in zip(contacts, missing, strict=True))
    index_changed(CONTACT, [c.pk for c in contacts])
    return found


@transaction.atomic
def customer_note_add(
    *, body: str, author: User, company: Company | None = None, contact: Contact | None = None
) -> CustomerNote:
    body = clean_text(body, field="body")
    if not body.strip():
        raise ValidationFailed("A note cannot be empty.", errors={"body": "required"})
    if company is None and contact is None:
        raise ValidationFailed("A note belongs to a company or a contact.", errors={"company": "required"})
    note = CustomerNote.objects.create(body=body, author=author, company=company, contact=contact)
    event_record(
        actor=author,
        verb="customer_note.added",
        target=note,
        changes={
            "company": [None, company.pk if company else None],
            "contact": [None, contact.pk if contact else None],
        },
    )
    return note


def _clip(value: str | None, limit: int) -> str:
    """Machine text as the database can store it: no NUL, no lone surrogates, at most `limit` characters."""
    value = (value or "").replace("\x00", "")
    return value.encode("utf-8", "replace").decode("utf-8")[:limit]


def _bounce_address(raw: str) -> str:
    """A bounce's recipient as we store addresses, or "" when it is not a usable address (bounces are machine
    text, sometimes hostile: never raise on them)."""
    email = (raw or "").replace("\x00", "").strip().strip("<>").lower()
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email if len(email) <= 254 else ""


@transaction.atomic
def address_bounce_record(
    *,
    email: str,
    permanent: bool,
    status: str = "",
    diagnostic: str = "",
    remote_mta: str = "",
    at: datetime | None = None,
    source: str = "",
) -> BouncedAddress | None:
    """Note that mail to an address bounced. A permanent failure suppresses automatic mail to it for
    SUPPORTLOOP_BOUNCE_SUPPRESSION_DAYS (60) from this bounce; a temporary one is only noted, and does not
    overwrite the reason of a suppression in force. None when the address is not usable.
    The contact who owns the address moves in the changes feed (its API shows the bounce)."""
    email = _bounce_address(email)
    if not email:
        return None
    at = at or timezone.now()
    seq = change_seq_next()
    row = BouncedAddress.objects.select_for_update().filter(email=email).first()
    before = None
    if row is None:
        row = BouncedAddress(email=email, created_at=at, bounce_count=0)
    else:
        before = {
            "permanent": row.permanent,
            "status": row.status,
            "suppressed_until": row.suppressed_until.isoformat() if row.suppressed_until else None,
        }
    row.bounce_count += 1
    in_force = row.suppressed_until is not None and row.suppressed_until > at
    if permanent or not in_force:
        row.permanent = permanent
        row.status = _clip(status, 20)
        row.diagnostic = _clip(diagnostic, 2000)
        row.remote_mta = _clip(remote_mta, 255)
        row.bounced_at = at
    if permanent:
        until = at + timedelta(days=settings.SUPPORTLOOP_BOUNCE_SUPPRESSION_DAYS)
        row.suppressed_until = max(until, row.suppressed_until) if in_force and row.suppressed_until else until
    row.save()
    Contact.objects.filter(emails__email=email).update(change_seq=seq, updated_at=at)
    event_record(
        actor=None,
        actor_label=source or "mail",
        verb="address.bounced",
        target=row,
        changes={
            "email": [None, email],
            "permanent": [before and before["permanent"], permanent],
            "status": [before and before["status"], row.status],
            "suppressed_until": [
                before and before["suppressed_until"],
                row.suppressed_until.isoformat() if row.suppressed_until else None,
            ],
        },
    )
    return row


@transaction.atomic
def address_suppression_lift(*, bounced: BouncedAddress, actor: User | None) -> BouncedAddress:
    """An admin knows the address works again (the mailbox was fixed): automatic mail may go to it."""
    before = bounced.suppressed_until
    if before is not None:
        bounced.suppressed_until = None
        bounced.save(update_fields=["suppressed_until"])
        Contact.objects.filter(emails__email=bounced.email).update(
            change_seq=change_seq_next(), updated_at=timezone.now()
        )
        event_record(
            actor=actor,
            verb="address.suppression_lifted",
            target=bounced,
            changes={"suppressed_until": [before.isoformat(), None]},
        )
    return bounced
