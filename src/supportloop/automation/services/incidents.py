"""Incidents: declare, link tickets (automatically on arrival, or by hand), resolve, and the one bulk reply that
tells every linked ticket's customer (docs/automation-incidents.md).

Matching runs on the "created" ticket event, after the ticket committed, and must not slow ingest: the open
incidents are read through a short-lived cache (`open_incidents`, also what the agents' banner reads), so a ticket
costs no query while no incident is open.

The bulk reply is idempotent per ticket: `incident_reply_one` claims the link with a conditional UPDATE
(`reply_sent_at IS NULL`) in the same transaction as the reply it posts with `ticket_reply` (so mail goes out by
the normal path, after commit). A second run, or a second worker at the same moment, finds the marker set (on
PostgreSQL it waits for the first transaction's row lock, then re-reads the condition) and posts nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportloop.accounts.models import User
from supportloop.accounts.permissions import require
from supportloop.automation.choices import IncidentLinkSource, IncidentStatus
from supportloop.automation.models import Incident, IncidentTicket
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.jobs import job_enqueue
from supportloop.core.services import event_record
from supportloop.core.validation import clean_text
from supportloop.tickets.hooks import TicketEvent, TicketEventKind
from supportloop.tickets.models import Macro, Message, ProductArea, Ticket

logger = logging.getLogger(__name__)

OPEN_CACHE_KEY = "automation.incidents.open.v1"
# Without a shared cache (no REDIS_URL) each process keeps its own copy: a banner or a match may lag a declare or a
# resolve made in another process by this long. The writing process forgets its copy at once.
OPEN_CACHE_SECONDS = 15
MAX_OPEN = 20  # open incidents at once; past that the desk has bigger problems than a banner
MAX_KEYWORDS = 50
KEYWORD_MAX = 100
TITLE_MAX = 200
TEXT_MAX = 10_000
TEXT_SCANNED = 20_000  # characters of the first message that keywords look at
REPLY_BATCH = 25  # tickets replied to per task run
REPLY_PAUSE_SECONDS = 10  # between batches: the throttle that keeps a large incident from flooding the mail server
REPLY_JOB = "automation.incident_reply"


# -- the open incidents, cached ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenIncident:
    id: int
    title: str
    product_area_id: int | None
    keywords: tuple[str, ...]  # casefolded

    def matches(self, *, product_area_id: int | None, text: str) -> bool:
        """Area and keywords both hold when given; an incident with neither is linked only by hand."""
        if self.product_area_id is None and not self.keywords:
            return False
        if self.product_area_id is not None and product_area_id != self.product_area_id:
            return False
        return not self.keywords or any(k in text for k in self.keywords)


def open_incidents() -> tuple[OpenIncident, ...]:
    """The declared (unresolved) incidents, newest first: one cache read, one small query when the cache is cold."""
    cached = cache.get(OPEN_CACHE_KEY)
    if cached is not None:
        return tuple(cached)
    rows = Incident.objects.filter(status=IncidentStatus.DECLARED).order_by("-declared_at", "-id")[:MAX_OPEN]
    fresh = tuple(
        OpenIncident(
            id=i.pk,
            title=i.title,
            product_area_id=i.product_area_id,
            keywords=tuple(k.casefold() for k in i.keywords),
        )
        for i in rows.only("pk", "title", "product_area_id", "keywords")
    )
    cache.set(OPEN_CACHE_KEY, fresh, OPEN_CACHE_SECONDS)
    return fresh


def _open_changed() -> None:
    transaction.on_commit(partial(cache.delete, OPEN_CACHE_KEY))


# -- input ------------------------------------------------------------------------------------------------------
def _keywords(values: Any) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        raise ValidationFailed("Keywords must be a list.", errors={"keywords": "a list"})
    if len(values) > MAX_KEYWORDS:
        raise ValidationFailed("Too many keywords.", errors={"keywords": f"at most {MAX_KEYWORDS}"})
    out: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ValidationFailed("Keywords are text.", errors={"keywords": "text"})
        word = clean_text(value, field="keywords", max_length=KEYWORD_MAX).strip()
        if word and word.casefold() not in {w.casefold() for w in out}:
            out.append(word)
    return out


def _text(value: Any, field: str, *, required: bool, max_length: int) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(f"{field} is text.", errors={field: "text"})
    return clean_text(value, field=field, required=required, max_length=max_length).strip()


def _macro_name(incident: Incident) -> str:
    return f"Incident #{incident.pk}: {incident.title}"[:150]


# -- declare, resolve -------------------------------------------------------------------------------------------
@transaction.atomic
def incident_declare(
    *,
    actor: User,
    title: str,
    customer_text: str,
    product_area: ProductArea | None = None,
    keywords: list[str] | None = None,
) -> Incident:
    """Declare an incident (leads and admins): the banner shows it, new matching tickets are linked to it, and a
    macro with the customer-facing text is offered to agents while it is open."""
    require(actor, "incident.manage")
    title = _text(title, "title", required=True, max_length=TITLE_MAX)
    customer_text = _text(customer_text, "customer_text", required=True, max_length=TEXT_MAX)
    if not title:
        raise ValidationFailed("An incident needs a title.", errors={"title": "required"})
    if not customer_text:
        raise ValidationFailed("Write what customers are told.", errors={"customer_text": "required"})
    if product_area is not None and not isinstance(product_area, ProductArea):
        raise ValidationFailed("Unknown product area.", errors={"product_area": "no such product area"})
    words = _keywords(keywords)
    if Incident.objects.filter(status=IncidentStatus.DECLARED).count() >= MAX_OPEN:
        raise Conflict(f"At most {MAX_OPEN} incidents can be open at once.", errors={"title": "too many open"})
    incident = Incident.objects.create(
        title=title,
        customer_text=customer_text,
        product_area=product_area,
        keywords=words,
        declared_by=actor,
        declared_at=timezone.now(),
    )
    from supportloop.tickets.services import macro_create

    name = _macro_name(incident)
    macro = Macro.objects.filter(name=name).first()
    if macro is None:
        macro = macro_create(name=name, body=customer_text, actor=actor)
    incident.macro = macro
    incident.save(update_fields=["macro"])
    event_record(
        actor=actor,
        verb="incident.declared",
        target=incident,
        changes={
            "title": [None, title],
            "product_area": [None, product_area.pk if product_area else None],
            "keywords": [None, words],
            "customer_text": [None, customer_text],
            "macro": [None, macro.pk],
        },
    )
    _open_changed()
    return incident


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def incident_reply_text(incident: Incident, text: str | None = None) -> str:
    chosen = _text(text, "reply_text", required=False, max_length=TEXT_MAX) if text is not None else ""
    return chosen or incident.resolution_text or incident.customer_text


@dataclass(frozen=True)
class ResolvePreview:
    tickets: int  # linked tickets that will get the reply (not those that got it already)
    text: str


def incident_resolve_preview(*, incident: Incident, reply_text: str | None = None) -> ResolvePreview:
    """What resolving would send: how many tickets, and the text. Writes nothing."""
    unsent = IncidentTicket.objects.filter(incident=incident, reply_sent_at__isnull=True).count()
    return ResolvePreview(tickets=unsent, text=incident_reply_text(incident, reply_text))


@transaction.atomic
def incident_resolve(*, incident: Incident, actor: User, reply_text: str | None = None) -> Incident:
    """Resolve an incident: the banner goes, matching stops, the macro is retired, and one reply with
    `reply_text` (default: the customer-facing text) is queued to every linked ticket, sent by the task worker in
    batches. Resolving twice is refused (the reply goes once)."""
    require(actor, "incident.manage")
    incident = _locked(incident)
    if incident.status == IncidentStatus.RESOLVED:
        raise Conflict("The incident is resolved already.", errors={"status": "resolved"})
    text = incident_reply_text(incident, reply_text)
    now = timezone.now()
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_by = actor
    incident.resolved_at = now
    incident.resolution_text = text
    incident.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_text"])
    if incident.macro_id is not None:
        from supportloop.tickets.services import macro_update

        macro = Macro.objects.filter(pk=incident.macro_id).first()
        if macro is not None and macro.is_active:
            macro_update(macro=macro, actor=actor, is_active=False)
    linked = IncidentTicket.objects.filter(incident=incident, reply_sent_at__isnull=True).count()
    event_record(
        actor=actor,
        verb="incident.resolved",
        target=incident,
        changes={
            "status": [IncidentStatus.DECLARED, IncidentStatus.RESOLVED],
            "resolution_text": [None, text],
            "tickets_to_reply": [None, linked],
        },
    )
    _open_changed()
    if linked:
        transaction.on_commit(partial(job_enqueue, REPLY_JOB, incident_id=incident.pk))
    return incident


# -- links ------------------------------------------------------------------------------------------------------
@transaction.atomic
def incident_ticket_link(
    *, incident: Incident, ticket: Ticket, actor: User | None, source: str = IncidentLinkSource.MANUAL
) -> IncidentTicket:
    """Link a ticket to an open incident (by hand, or by matching on arrival with actor None)."""
    if actor is not None:
        require(actor, "incident.manage")
    incident = _locked(incident)
    if incident.status != IncidentStatus.DECLARED:
        raise Conflict("Tickets are linked only to an open incident.", errors={"incident": "resolved"})
    existing = IncidentTicket.objects.filter(incident=incident, ticket=ticket).first()
    if existing is not None:
        raise Conflict(f"Ticket #{ticket.number} is linked already.", errors={"ticket": "already linked"})
    link = IncidentTicket.objects.create(
        incident=incident, ticket=ticket, source=source, linked_by=actor, linked_at=timezone.now()
    )
    changes = {"incident": [None, incident.pk], "ticket": [None, ticket.number], "source": [None, source]}
    event_record(
        actor=actor,
        actor_label="" if actor else "incidents",
        verb="incident.ticket_linked",
        target=incident,
        changes=changes,
    )
    event_record(
        actor=actor,
        actor_label="" if actor else "incidents",
        verb="ticket.incident_linked",
        target=ticket,
        changes={"incident": [None, incident.pk], "title": [None, incident.title], "source": [None, source]},
    )
    return link


@transaction.atomic
def incident_ticket_unlink(*, incident: Incident, ticket: Ticket, actor: User) -> None:
    """Take a ticket off an open incident (it then gets no resolution reply)."""
    require(actor, "incident.manage")
    incident = _locked(incident)
    if incident.status != IncidentStatus.DECLARED:
        raise Conflict("A resolved incident's tickets stay as they were.", errors={"incident": "resolved"})
    deleted, _rows = IncidentTicket.objects.filter(incident=incident, ticket=ticket).delete()
    if not deleted:
        raise Conflict(f"Ticket #{ticket.number} is not linked to this incident.", errors={"ticket": "not linked"})
    event_record(
        actor=actor, verb="incident.ticket_unlinked", target=incident, changes={"ticket": [ticket.number, None]}
    )
    event_record(actor=actor, verb="ticket.incident_unlinked", target=ticket, changes={"incident": [incident.pk, None]})


def _ticket_text(ticket: Ticket, message_id: int | None) -> str:
    messages = Message.objects.filter(ticket_id=ticket.pk)
    messages = messages.filter(pk=message_id) if message_id else messages.order_by("created_at", "id")
    body = messages.values_list("body_text", flat=True).first() or ""
    return f"{ticket.subject}\n{body[:TEXT_SCANNED]}".casefold()


def incidents_match_ticket(*, ticket_id: int, message_id: int | None = None) -> list[IncidentTicket]:
    """Link a new ticket to every open incident it matches (area and keywords); nothing when none is open."""
    candidates = open_incidents()
    if not candidates:
        return []
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return []
    needs_text = any(c.keywords for c in candidates)
    text = _ticket_text(ticket, message_id) if needs_text else ""
    links = []
    for candidate in candidates:
        if not candidate.matches(product_area_id=ticket.product_area_id, text=text):
            continue
        incident = Incident.objects.filter(pk=candidate.id).first()
        if incident is None:
            continue
        try:
            links.append(
                incident_ticket_link(incident=incident, ticket=ticket, actor=None, source=IncidentLinkSource.MATCHED)
            )
        except Conflict:
            continue  # resolved meanwhile, or linked already
    return links


def incidents_on_ticket_event(event: TicketEvent) -> None:
    """The ticket-event listener: new tickets are matched against the open incidents."""
    if event.kind != TicketEventKind.CREATED:
        return
    try:
        incidents_match_ticket(ticket_id=event.ticket_id, message_id=event.message_id)
    except Exception:
        # The ticket is saved already: matching must not fail the request or the mail that created it.
        logger.exception("matching ticket %s to incidents failed", event.ticket_id)


# -- the bulk reply ---------------------------------------------------------------------------------------------
def incident_reply_one(*, link_id: int) -> bool:
    """Post the resolution reply to one linked ticket unless it got it already; True when this call posted it."""
    from supportloop.tickets.services import ticket_reply

    with transaction.atomic():
        link = IncidentTicket.objects.select_related("incident", "ticket").filter(pk=link_id).first()
        if link is None or link.reply_sent_at is not None:
            return False
        incident = link.incident
        if incident.status != IncidentStatus.RESOLVED or incident.resolved_by is None:
            return False
        now = timezone.now()
        # The claim: of two runs at once, one updates the row, the other finds the marker set (after waiting for
        # the first's lock on PostgreSQL; SQLite's write transactions take turns).
        if not IncidentTicket.objects.filter(pk=link_id, reply_sent_at__isnull=True).update(reply_sent_at=now):
            return False
        message = ticket_reply(ticket=link.ticket, actor=incident.resolved_by, body=incident.resolution_text)
        IncidentTicket.objects.filter(pk=link_id).update(reply_message=message)
        event_record(
            actor=incident.resolved_by,
            verb="incident.reply_sent",
            target=incident,
            changes={"ticket": [None, link.ticket.number], "message": [None, message.pk]},
        )
        return True


@dataclass(frozen=True)
class ReplyBatch:
    sent: int
    remaining: int


def incident_reply_batch(*, incident_id: int, batch_size: int | None = None) -> ReplyBatch:
    """Reply to up to `batch_size` (REPLY_BATCH) linked tickets still waiting for it; how many went and how many
    are left."""
    batch_size = batch_size or REPLY_BATCH
    ids = list(
        IncidentTicket.objects.filter(incident_id=incident_id, reply_sent_at__isnull=True)
        .order_by("id")
        .values_list("pk", flat=True)[:batch_size]
    )
    sent = 0
    for link_id in ids:
        try:
            sent += incident_reply_one(link_id=link_id)
        except Exception:
            # One ticket's trouble (e.g. a deleted agent) does not stop the others; it stays unsent and visible.
            logger.exception("incident %s: reply to link %s failed", incident_id, link_id)
    remaining = IncidentTicket.objects.filter(incident_id=incident_id, reply_sent_at__isnull=True).count()
    return ReplyBatch(sent=sent, remaining=remaining)


def incident_reply_progress(*, incident: Incident) -> dict[str, int]:
    rows = IncidentTicket.objects.filter(incident=incident)
    total = rows.count()
    sent = rows.filter(reply_sent_at__isnull=False).count()
    return {"linked": total, "sent": sent, "waiting": total - sent}


def incident_banner_text(incidents: tuple[OpenIncident, ...]) -> str:
    return _("Incident declared: %(titles)s") % {"titles": "; ".join(i.title for i in incidents)}
