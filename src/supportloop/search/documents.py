"""What each searchable object reads like: the title, text, language and time its index row is built from.

Plain ORM reads, a fixed number of queries per batch of ids. No SQL of its own; `search.engine` writes the rows.
A ticket's text is every message body (internal notes included: only staff ever search) and its requester's name
and addresses; a feedback item's is its problem, proposed solution and every evidence quote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

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


def _emails_by_contact(contact_ids: Iterable[int]) -> dict[int, list[str]]:
    emails: dict[int, list[str]] = defaultdict(list)
    for contact_id, email in (
        ContactEmail.objects.filter(contact_id__in=list(contact_ids)).order_by("id").values_list("contact_id", "email")
    ):
        emails[contact_id].append(email)
    return emails


def ticket_docs(ids: list[int]) -> list[Doc]:
    tickets = list(
        Ticket.objects.filter(pk__in=ids).values_list(
            "id", "subject", "language", "updated_at", "requester_id", "requester__name"
        )
    )
    texts: dict[int, list[str]] = defaultdict(list)
    for ticket_id, text in (
        Message.objects.filter(ticket_id__in=ids)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "body_text")
    ):
        texts[ticket_id].append(text)
    emails = _emails_by_contact({t[4] for t in tickets})
    return [
        Doc(
            kind=TICKET,
            object_id=pk,
            language=language or "",
            title=subject,
            body="\n".join([*texts[pk], " ".join([requester_name or "", *emails[requester_id]])]),
            sort_at=updated_at,
        )
        for pk, subject, language, updated_at, requester_id, requester_name in tickets
    ]


def contact_docs(ids: list[int]) -> list[Doc]:
    contacts = list(Contact.objects.filter(pk__in=ids).values_list("id", "name", "language", "updated_at"))
    emails = _emails_by_contact(ids)
    return [
        Doc(CONTACT, pk, language or "", name or "", " ".join(emails[pk]), updated_at)
        for pk, name, language, updated_at in contacts
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
