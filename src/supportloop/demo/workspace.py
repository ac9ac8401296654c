"""Build the demo workspace through the services: staff, teams, taxonomy, macros, customers and tickets.

Every row here is written by the same service an agent or admin would call (so audit events exist and
invariants hold). Services stamp "now"; the history they write is then moved back to the planned time with
plain UPDATEs of timestamps only (tickets, messages and the events of that step), which is the one thing a
seed may do that the product never does. Listeners (mail delivery, triggers) are switched off while seeding:
the seeded history is in the past and nothing in it must be sent.
"""

from __future__ import annotations

import contextlib
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.text import slugify

from supportloop.accounts.models import Team, User
from supportloop.accounts.services import team_create, user_create
from supportloop.accounts.services.security import password_reset_send
from supportloop.core.services import CHANGES_COUNTER, counter_reserve, events_dated
from supportloop.customers.models import Company, CompanyDomain, Contact, ContactEmail
from supportloop.customers.services import company_create, contact_create
from supportloop.demo import phrases as P
from supportloop.demo.plan import ContactRef, TicketPlan, TicketPlanner, epoch_to_dt
from supportloop.tickets import hooks
from supportloop.tickets.models import (
    ContactReason,
    Macro,
    MacroApplication,
    Message,
    ProductFeature,
    Ticket,
)
from supportloop.tickets.services import (
    contact_reason_create,
    macro_apply,
    macro_create,
    message_add_from_contact,
    product_area_create,
    product_feature_create,
    ticket_add_note,
    ticket_create,
    ticket_reply,
    ticket_update,
)

PLAN_WEIGHTS = {"free": 45, "starter": 30, "pro": 18, "enterprise": 7}
PLAN_MRR = {"free": (0, 0), "starter": (29, 149), "pro": (300, 2400), "enterprise": (3000, 40000)}
CONTACTS_PER_COMPANY = {"free": (1, 3), "starter": (1, 6), "pro": (3, 15), "enterprise": (8, 60)}


@dataclass
class Workspace:
    """What the ticket seeding needs from the workspace: people, routing, taxonomy and contacts."""

    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    features: dict[tuple[str, str], ProductFeature] = field(default_factory=dict)
    reasons: dict[str, ContactReason] = field(default_factory=dict)
    macros: dict[str, Macro] = field(default_factory=dict)
    contacts: list[ContactRef] = field(default_factory=list)
    admin_password: str = ""

    def agents_by_team(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for username, _f, _l, role, _lang, teams in P.STAFF:
            for slug in teams:
                if role in ("agent", "lead"):
                    out.setdefault(slug, []).append(username)
        return out


def sizes(tickets: int) -> tuple[int, int]:
    """Number of companies and contacts for a given number of tickets (about 6-7 tickets per contact)."""
    companies = max(12, min(tickets // 25, 4000))
    contacts = max(40, min(tickets // 6, 150_000))
    return companies, contacts


@contextlib.contextmanager
def listeners_off():
    """Silence ticket listeners (mail delivery, automations) while seeding history."""
    saved = list(hooks.public_reply_listeners)
    saved_events = list(
        hooks.ticket_event_listeners
    )  # automations (SLAs, triggers) rebuild from history in their hooks
    hooks.public_reply_listeners.clear()
    hooks.ticket_event_listeners.clear()
    try:
        yield
    finally:
        hooks.public_reply_listeners[:] = saved
        hooks.ticket_event_listeners[:] = saved_events


def build_staff(ws: Workspace, password: str) -> None:
    admin = None
    # One hash for all staff: hashing is deliberately slow and every demo login shares the password.
    hashed = make_password(password)
    for username, first, last, role, lang, _teams in P.STAFF:
        user = user_create(
            username=username,
            email=f"{username}@supportloop.example",
            password=None,
            role=role,
            first_name=first,
            last_name=last,
            language=lang,
            actor=admin,
        )
        user.signature = f"{first} {last}\nCustomer Support"
        user.password = hashed
        user.save(update_fields=["signature", "password"])
        ws.users[username] = user
        admin = admin or user
    for slug, name in P.TEAMS:
        members = [ws.users[u] for u, *_rest, teams in P.STAFF if slug in teams]
        ws.teams[slug] = team_create(name=name, slug=slug, members=members, actor=admin)


def build_taxonomy(ws: Workspace) -> None:
    admin = ws.users["admin"]
    for i, (area_name, features) in enumerate(P.TAXONOMY):
        area = product_area_create(name=area_name, position=i, actor=admin)
        for j, feature_name in enumerate(features):
            ws.features[(area_name, feature_name)] = product_feature_create(
                area=area, name=feature_name, position=j, actor=admin
            )
    for i, (name, catch_all) in enumerate(P.CONTACT_REASONS):
        ws.reasons[name] = contact_reason_create(name=name, is_catch_all=catch_all, position=i, actor=admin)


def build_macros(ws: Workspace) -> None:
    admin = ws.users["admin"]
    for name, body, actions in P.MACROS:
        ws.macros[name] = macro_create(name=name, body=body, actions=actions, actor=admin)


def _company_specs(rng: random.Random, count: int) -> list[dict]:
    specs: list[dict[str, Any]] = []
    used_names: set[str] = set()
    used_domains: set[str] = set()
    languages, weights = list(P.LANGUAGE_WEIGHTS), list(P.LANGUAGE_WEIGHTS.values())
    while len(specs) < count:
        word, noun = rng.choice(P.COMPANY_WORDS), rng.choice(P.COMPANY_NOUNS)
        base = f"{word}{noun}" if rng.random() < 0.5 else word
        name = f"{base} {rng.choice(P.COMPANY_KINDS)}"
        if name in used_names:
            name = f"{name} {rng.choice(['Group', 'Inc.', 'GmbH', 'Ltd', 'Co.', 'Partners', 'International'])}"
        if name in used_names:
            name = f"{name} {len(specs)}"
        used_names.add(name)
        lang = rng.choices(languages, weights)[0]
        stem = slugify(name).replace("-", "")[:40]
        domain = stem + rng.choice(P.COMPANY_TLDS[lang])
        n = 2
        while domain in used_domains:
            domain = f"{stem}{n}{rng.choice(P.COMPANY_TLDS[lang])}"
            n += 1
        used_domains.add(domain)
        plan = rng.choices(list(PLAN_WEIGHTS), list(PLAN_WEIGHTS.values()))[0]
        if len(specs) < len(PLAN_WEIGHTS):
            plan = list(PLAN_WEIGHTS)[len(specs)]  # even a tiny workspace shows every plan
        low, high = PLAN_MRR[plan]
        mrr = Decimal(rng.randint(low, high)) if high else Decimal(0)
        specs.append(
            {
                "name": name,
                "domain": domain,
                "plan": plan,
                "mrr": mrr,
                "language": lang,
                "attributes": {
                    "industry": rng.choice(P.INDUSTRIES),
                    "seats": rng.randint(2, 400),
                    "country": {"en": "US", "zh": "CN", "ru": "RU", "de": "DE", "es": "ES", "ja": "JP", "ar": "AE"}[
                        lang
                    ],
                },
            }
        )
    return specs


def _person(rng: random.Random, lang: str) -> tuple[str, str, str]:
    """(display name, first name, ascii email local part)."""
    first, first_ascii = rng.choice(P.FIRST_NAMES[lang])
    last, last_ascii = rng.choice(P.LAST_NAMES[lang])
    if lang == "ru" and first in P.RUSSIAN_FEMALE_NAMES:
        last, last_ascii = last + "а", last_ascii + "a"  # Иванов -> Иванова
    if lang in P.FAMILY_NAME_FIRST:
        return f"{last}{first}", first, f"{first_ascii}.{last_ascii}"
    return f"{first} {last}", first, f"{first_ascii}.{last_ascii}"


def _contact_specs(rng: random.Random, companies: list[dict], count: int) -> list[dict]:
    """Contacts spread over companies (more at bigger plans), plus people writing from public mail domains."""
    weights = [rng.randint(*CONTACTS_PER_COMPANY[c["plan"]]) for c in companies]
    languages, lang_weights = list(P.LANGUAGE_WEIGHTS), list(P.LANGUAGE_WEIGHTS.values())
    specs, used = [], set()
    for i in range(count):
        company = None
        if i < len(languages):
            lang = languages[i]  # even a tiny workspace has someone writing in every language
            domain = rng.choice(P.PUBLIC_DOMAINS[lang])
        elif rng.random() < 0.82:
            company = rng.choices(companies, weights)[0]
            lang = company["language"] if rng.random() < 0.85 else "en"
            domain = company["domain"]
        else:
            lang = rng.choices(languages, lang_weights)[0]
            domain = rng.choice(P.PUBLIC_DOMAINS[lang])
        name, first, local = _person(rng, lang)
        email = f"{local}@{domain}"
        if email in used:
            email = f"{local}{i}@{domain}"
        used.add(email)
        specs.append(
            {"key": i, "name": name, "first_name": first, "email": email, "language": lang, "company": company}
        )
    return specs


def build_customers(
    ws: Workspace, rng: random.Random, *, companies: int, contacts: int, bulk: bool, now: datetime
) -> None:
    """Companies with domains, plans and MRR, and their contacts. Services in normal mode, bulk_create in bulk."""
    company_specs = _company_specs(rng, companies)
    contact_specs = _contact_specs(rng, company_specs, contacts)
    admin = ws.users["admin"]
    long_ago = now - timedelta(days=400)
    if not bulk:
        for spec in company_specs:
            spec["obj"] = company_create(
                name=spec["name"],
                domains=[spec["domain"]],
                plan=spec["plan"],
                mrr=spec["mrr"],
                attributes=spec["attributes"],
                actor=admin,
            )
        objs = {}
        for spec in contact_specs:
            company = spec["company"]["obj"] if spec["company"] else None
            objs[spec["key"]] = contact_create(
                name=spec["name"], emails=[spec["email"]], company=company, language=spec["language"], actor=admin
            )
        Company.objects.update(created_at=long_ago, updated_at=long_ago)
        Contact.objects.update(created_at=long_ago, updated_at=long_ago)
        ids = {k: (c.pk, c.company_id) for k, c in objs.items()}
    else:
        # Bulk rows take their places in the /changes feed as the services would (one value per row).
        seq = counter_reserve(name=CHANGES_COUNTER, count=len(company_specs) + len(contact_specs))
        made = Company.objects.bulk_create(
            [
                Company(
                    name=s["name"],
                    plan=s["plan"],
                    mrr=s["mrr"],
                    attributes=s["attributes"],
                    created_at=long_ago,
                    updated_at=long_ago,
                    change_seq=seq + i,
                )
                for i, s in enumerate(company_specs)
            ],
            batch_size=2000,
        )
        seq += len(company_specs)
        for spec, obj in zip(company_specs, made, strict=True):
            spec["obj"] = obj
        CompanyDomain.objects.bulk_create(
            [CompanyDomain(company=s["obj"], domain=s["domain"]) for s in company_specs], batch_size=2000
        )
        contacts_made = Contact.objects.bulk_create(
            [
                Contact(
                    name=s["name"],
                    company=s["company"]["obj"] if s["company"] else None,
                    language=s["language"],
                    created_at=long_ago,
                    updated_at=long_ago,
                    change_seq=seq + i,
                )
                for i, s in enumerate(contact_specs)
            ],
            batch_size=5000,
        )
        ContactEmail.objects.bulk_create(
            [ContactEmail(contact=c, email=s["email"]) for s, c in zip(contact_specs, contacts_made, strict=True)],
            batch_size=5000,
        )
        ids = {s["key"]: (c.pk, c.company_id) for s, c in zip(contact_specs, contacts_made, strict=True)}
    for spec in contact_specs:
        company = spec["company"]
        pk, company_id = ids[spec["key"]]
        ws.contacts.append(
            ContactRef(
                key=spec["key"],
                name=spec["name"],
                first_name=spec["first_name"],
                language=spec["language"],
                company_name=company["name"] if company else "",
                plan=company["plan"] if company else "",
                pk=pk,
                company_id=company_id,
            )
        )


def build_workspace(*, rng: random.Random, tickets: int, password: str, bulk: bool, now: datetime) -> Workspace:
    ws = Workspace(admin_password=password)
    with transaction.atomic(), listeners_off():
        build_staff(ws, password)
        # The Outbox shows what a password reset mail looks like (the viewer asked for one; the link works).
        password_reset_send(email="viewer@supportloop.example", address="demo seed")
        build_taxonomy(ws)
        build_macros(ws)
        n_companies, n_contacts = sizes(tickets)
        build_customers(ws, rng, companies=n_companies, contacts=n_contacts, bulk=bulk, now=now)
    return ws


def planner_for(ws: Workspace, rng: random.Random, now: datetime) -> TicketPlanner:
    return TicketPlanner(rng=rng, contacts=ws.contacts, agents_by_team=ws.agents_by_team(), now=now)


# -- normal mode: replay each plan through the services --------------------------------------------------------
class _Clock:
    """Dates what a service writes at the planned time: its events as they are written (`at`), one message
    just after (`stamp`). Events cannot be moved afterwards: the audit table is append-only."""

    def at(self, when: datetime):
        return events_dated(when)

    def stamp(self, when: datetime, message: Message | None = None) -> None:
        if message is not None:
            fields: dict[str, Any] = {"created_at": when}
            if message.delivery_status == "pending":
                fields["delivery_status"] = "sent"
            Message.objects.filter(pk=message.pk).update(**fields)


def replay_ticket(ws: Workspace, plan: TicketPlan, clock: _Clock) -> Ticket:
    if plan.contact.pk is None:
        raise ValueError(f"{plan.contact.name}: the contact of a planned ticket is created before it is replayed")
    contact = Contact.objects.get(pk=plan.contact.pk)
    topic = plan.topic
    feature = ws.features[topic["feature"]] if topic["feature"] else None
    assignee = ws.users[plan.assignee] if plan.assignee else None
    created = epoch_to_dt(plan.created)
    with clock.at(created):
        ticket = ticket_create(
            subject=plan.subject,
            body=plan.body,
            requester=contact,
            channel=plan.channel,
            priority=plan.priority,
            assignee=assignee,
            team=ws.teams[plan.team],
            product_feature=feature,
            contact_reason=ws.reasons[topic["reason"]],
            tags=plan.tags,
            language=plan.language,
            created_at=created,
        )
    for step in plan.steps:
        when = epoch_to_dt(step.at)
        actor = assignee or ws.users["agent"]
        message = None
        with clock.at(when):
            if step.kind == "reply":
                if step.macro:
                    message = macro_apply(macro=ws.macros[step.macro], ticket=ticket, actor=actor)
                    MacroApplication.objects.filter(message=message).update(applied_at=when)
                else:
                    message = ticket_reply(ticket=ticket, actor=actor, body=step.body, status=step.status)
            elif step.kind == "note":
                message = ticket_add_note(ticket=ticket, actor=actor, body=step.body)
            elif step.kind == "customer":
                message = message_add_from_contact(ticket=ticket, contact=contact, body=step.body, channel=plan.channel)
            elif step.kind == "close":
                ticket_update(ticket=ticket, actor=None, status="closed")
        clock.stamp(when, message)
    Ticket.objects.filter(pk=ticket.pk).update(
        updated_at=epoch_to_dt(plan.updated),
        first_response_at=epoch_to_dt(plan.first_response) if plan.first_response else None,
        solved_at=epoch_to_dt(plan.solved) if plan.solved else None,
    )
    return ticket


def seed_tickets_normal(ws: Workspace, planner: TicketPlanner, count: int, progress=None) -> int:
    arrivals = planner.arrival_times(count)
    clock = _Clock()
    done = 0
    with listeners_off():
        for start in range(0, len(arrivals), 500):
            with transaction.atomic():
                for at, lang in arrivals[start : start + 500]:
                    replay_ticket(ws, planner.plan(at, lang), clock)
                    done += 1
            if progress:
                progress(done)
    return done


def random_password() -> str:
    return secrets.token_urlsafe(12)
