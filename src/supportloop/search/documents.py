"""What each searchable object reads like: the title, text, language and time its index row is built from.

Plain ORM reads, a fixed number of queries per batch of ids. No SQL of its own; `search.engine` writes the rows.
A ticket's text is every message body (internal notes included: only staff ever search) and its requester's name
(the `from:` filter finds addresses); a feedback item's is its problem, proposed solution and every evidence quote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from supportloop.core.compiled import compiled_once
from supportloop.core.indexing import COMPANY, CONTACT, FEEDBACK, TICKET
from supportloop.customers.models import Company, CompanyDomain, Contact, ContactEmail
from supportloop.feedback.models import Evidence, FeedbackItem
from supportloop.tickets.models import Message, Ticket


@dataclass(frozen=True)
class Doc:
    kind: str
    object_id: int
    language: str
    title: str
    body: str
    sort_at: datetime


def _rows_of(shape: str, rows: QuerySet[Any, tuple], key: str, ids: list[int]) -> Iterable[tuple]:
    """`rows` of the objects `ids` names by `key`. Services index one object at a time (every reply re-indexes its
    ticket), so for one id the SQL is compiled once per process (core.compiled); batches compile as usual."""
    if len(ids) == 1:
        return compiled_once((shape,), lambda one: rows.filter(**{key: one["id"]}), {"id": ids[0]})
    return rows.filter(**{f"{key}__in": ids})


def ticket_docs(ids: list[int]) -> list[Doc]:
    """One query: every message with its ticket's fields (a ticket always has its first message; one without
    any, which no service makes, is read in a second query)."""
    rows = _rows_of(
        "search: one ticket's texts",
        Message.objects.order_by("ticket_id", "created_at", "id").values_list(
            "ticket_id",
            "body_text",
            "ticket__subject",
            "ticket__language",
            "ticket__updated_at",
            "ticket__requester__name",
        ),
        "ticket_id",
        ids,
    )
    heads: dict[int, tuple] = {}
    texts: dict[int, list[str]] = defaultdict(list)
    for ticket_id, text, subject, language, updated_at, requester_name in rows:
        heads.setdefault(ticket_id, (subject, language, updated_at, requester_name))
        texts[ticket_id].append(text)
    missing = [i for i in ids if i not in heads]
    if missing:
        for pk, subject, language, updated_at, requester_name in Ticket.objects.filter(pk__in=missing).values_list(
            "id", "subject", "language", "updated_at", "requester__name"
        ):
            heads[pk] = (subject, language, updated_at, requester_name)
    return [
        Doc(TICKET, pk, language or "", subject, "\n".join([*texts[pk], requester_name or ""]), updated_at)
        for pk, (subject, language, updated_at, requester_name) in heads.items()
    ]


def contact_docs(ids: list[int]) -> list[Doc]:
    """One query: the addresses with their contact (a contact always has an address; see ticket_docs)."""
    rows = _rows_of(
        "search: one contact's addresses",
        ContactEmail.objects.order_by("contact_id", "id").values_list(
            "contact_id", "email", "contact__name", "contact__language", "contact__updated_at"
        ),
        "contact_id",
        ids,
    )
    heads: dict[int, tuple] = {}
    emails: dict[int, list[str]] = defaultdict(list)
    for contact_id, email, name, language, updated_at in rows:
        heads.setdefault(contact_id, (name, language, updated_at))
        emails[contact_id].append(email)
    missing = [i for i in ids if i not in heads]
    if missing:
        for pk, name, language, updated_at in Contact.objects.filter(pk__in=missing).values_list(
            "id", "name", "language", "updated_at"
        ):
            heads[pk] = (name, language, updated_at)
    return [
        Doc(CONTACT, pk, language or "", name or "", " ".join(emails[pk]), updated_at)
        for pk, (name, language, updated_at) in heads.items()
    ]


def company_docs(ids: list[int]) -> list[Doc]:
    domains: dict[int, list[str]] = defaultdict(list)
    for company_id, domain in CompanyDomain.objects.filter(company_id__in=ids).values_list("company_id", "domain"):
        domains[company_id].append(domain)
    return [
        Doc(COMPANY, pk, "", name, " ".join(sorted(domains[pk])), updated_at)
        for pk, name, updated_at in Company.objects.filter(pk__in=ids).values_list("id", "name", "updated_at")
    ]


def feedback_docs(ids: list[int]) -> list[Doc]:
    quotes: dict[int, list[str]] = defaultdict(list)
    for item_id, quote in (
        Evidence.objects.filter(item_id__in=ids)
        .exclude(quote="")
        .order_by("item_id", "id")
        .values_list("item_id", "quote")
    ):
        quotes[item_id].append(quote)
    return [
        Doc(FEEDBACK, pk, "", title, "\n".join([problem, solution, *quotes[pk]]), updated_at)
        for pk, title, problem, solution, updated_at in FeedbackItem.objects.filter(pk__in=ids).values_list(
            "id", "title", "problem", "proposed_solution", "updated_at"
        )
    ]


BUILDERS = {TICKET: ticket_docs, CONTACT: contact_docs, COMPANY: company_docs, FEEDBACK: feedback_docs}
MODELS = {TICKET: Ticket, CONTACT: Contact, COMPANY: Company, FEEDBACK: FeedbackItem}
