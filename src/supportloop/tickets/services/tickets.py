"""Ticket and message writes: create, update, reply, note, customer message."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.utils import timezone

from supportloop.accounts.models import Team, User
from supportloop.core.compiled import compiled_one_or_none
from supportloop.core.errors import Conflict, NotFound, TooLarge, ValidationFailed
from supportloop.core.indexing import TICKET, index_changed
from supportloop.core.services import (
    change_seq_next,
    change_seq_take,
    counter_take,
    event_build,
    event_record,
    events_record_many,
    model_update,
    transaction_required,
)
from supportloop.core.validation import clean_text
from supportloop.customers.models import Contact
from supportloop.customers.services import contact_get_or_create_by_email, normalize_email
from supportloop.tickets import hooks
from supportloop.tickets.choices import (
    ACTIVE_STATUSES,
    PRIORITY_RANK,
    AuthorType,
    Channel,
    DeliveryStatus,
    Direction,
    MessageKind,
    Priority,
    Status,
)
from supportloop.tickets.filenames import display_name, storage_name
from supportloop.tickets.hooks import TicketEvent, TicketEventKind, ticket_event_emit
from supportloop.tickets.models import (
    Attachment,
    ContactReason,
    Message,
    ProductFeature,
    Tag,
    Ticket,
)
from supportloop.tickets.rollups import RollupKey, rollup_apply, rollup_key, rollup_move
from supportloop.tickets.sanitize import html_to_text, sanitize_html, text_to_html

SUBJECT_MAX = 500
PREVIEW_LENGTH = 100  # characters of the latest public message that an inbox row shows


def message_preview(text: str) -> str:
    """The start of a message as one line, for Ticket.last_message_preview."""
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_LENGTH else line[: PREVIEW_LENGTH - 1].rstrip() + "…"


@dataclass(frozen=True)
class IncomingFile:
    """A file to attach: name, content type and bytes."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    content_id: str = ""
    is_inline: bool = False


def _choice(value: str | None, choices: type[models.TextChoices], field: str) -> str | None:
    if value is None:
        return None
    if value not in choices.values:
        raise ValidationFailed(
            f"Unknown {field} {value!r}.", errors={field: f"must be one of {', '.join(choices.values)}"}
        )
    return value


def tags_normalize(names: Iterable[str]) -> list[str]:
    clean = []
    for name in names:
        tag = clean_text(name, field="tags").strip().lower()
        if not tag:
            continue
        if len(tag) > 60:
            raise ValidationFailed("A tag is at most 60 characters.", errors={"tags": "at most 60 characters"})
        clean.append(tag)
    return sorted(set(clean))


def _tags_named(names: Iterable[str]) -> dict[str, Tag]:
    """The tags of these names, created when missing (a concurrent creator is fine)."""
    names = sorted(set(names))
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    return existing


def _tags_set(ticket: Ticket, names: list[str]) -> None:
    existing = _tags_named(names)
    ticket.tags.set([existing[n] for n in names])


def _body_pair(body_text: str | None, body_html: str | None) -> tuple[str, str]:
    text = clean_text(body_text, field="body")
    html = clean_text(body_html, field="body_html")
    if html and not text.strip():
        text = html_to_text(html)
    if not text.strip() and not html.strip():
        raise ValidationFailed("The message body is empty.", errors={"body": "required"})
    return text, sanitize_html(html) if html else text_to_html(text)


def _check_feature_and_reason(product_feature: ProductFeature | None, contact_reason: ContactReason | None) -> None:
    if product_feature is not None and not product_feature.is_active:
        raise ValidationFailed("That product feature is retired.", errors={"product_feature": "inactive"})
    if contact_reason is not None and not contact_reason.is_active:
        raise ValidationFailed("That contact reason is retired.", errors={"contact_reason": "inactive"})


def _attachments_save(message: Message, files: Iterable[IncomingFile]) -> list[Attachment]:
    saved = []
    limit = settings.SUPPORTLOOP_MAX_ATTACHMENT_BYTES
    for f in files:
        if len(f.content) > limit:
            raise TooLarge(
                f"Attachment {f.filename!r} is larger than {limit} bytes.",
                errors={"attachments": f"{f.filename} exceeds {limit} bytes"},
            )
        # Any name is accepted and shown; storage gets a generated one (see tickets/filenames.py).
        name = display_name(f.filename)
        attachment = Attachment(
            message=message,
            filename=name,
            content_type=f.content_type[:200],
            size=len(f.content),
            content_id=f.content_id[:255],
            is_inline=f.is_inline,
        )
        attachment.file.save(storage_name(name, f.content_type), ContentFile(f.content), save=False)
        attachment.save()
        saved.append(attachment)
    return saved


@transaction.atomic
def attachment_add(*, message: Message, files: Iterable[IncomingFile], actor: User | None = None) -> list[Attachment]:
    """Attach files to an existing message; the ticket moves in the changes feed."""
    seq = change_seq_next()
    saved = _attachments_save(message, files)
    if saved:
        Ticket.objects.filter(pk=message.ticket_id).update(change_seq=seq)
        event_record(
            actor=actor,
            verb="attachment.added",
            target=message.ticket,
            changes={"attachments": [[], [a.filename for a in saved]]},
        )
    return saved


def _on_commit_call(listeners: Iterable[Callable[[int], None]], object_id: int) -> None:
    for listener in list(listeners):
        transaction.on_commit(partial(listener, object_id))


@dataclass
class TicketDraft:
    """A validated new ticket and its first message, not yet written: see ticket_draft and
    tickets_insert_in_transaction."""

    subject: str
    text: str
    html: str
    channel: str
    priority: str
    status: str
    author: str
    actor: User | None
    assignee: User | None
    team: Team | None
    product_feature: ProductFeature | None
    contact_reason: ContactReason | None
    tag_names: list[str]
    language: str
    followers: list[str]
    external_message_id: str | None
    attachments: list[IncomingFile]
    created_at: datetime | None
    requester: Contact | None = None

    @property
    def contact(self) -> Contact:
        """The requester, which tickets_insert needs (ticket_create matches or creates it first)."""
        if self.requester is None:
            raise ValueError("The ticket draft has no requester yet.")
        return self.requester


def ticket_draft(
    *,
    subject: str,
    body: str = "",
    body_html: str = "",
    requester: Contact | None = None,
    channel: str = Channel.WEB,
    priority: str = Priority.NORMAL,
    status: str = Status.NEW,
    author: str = AuthorType.CONTACT,
    actor: User | None = None,
    assignee: User | None = None,
    team: Team | None = None,
    product_feature: ProductFeature | None = None,
    contact_reason: ContactReason | None = None,
    tags: Iterable[str] = (),
    language: str = "",
    followers: Iterable[str] = (),
    external_message_id: str | None = None,
    attachments: Iterable[IncomingFile] = (),
    created_at: datetime | None = None,
) -> TicketDraft:
    """Validate a new ticket without touching the database; raises the same errors ticket_create does."""
    subject = clean_text(subject, field="subject", required=True, max_length=SUBJECT_MAX).strip()
    text, html = _body_pair(body, body_html)
    _choice(channel, Channel, "channel")
    _choice(priority, Priority, "priority")
    _choice(status, Status, "status")
    _choice(author, AuthorType, "author")
    _check_feature_and_reason(product_feature, contact_reason)
    return TicketDraft(
        subject=subject,
        text=text,
        html=html,
        channel=channel,
        priority=priority,
        status=status,
        author=author,
        actor=actor,
        assignee=assignee,
        team=team,
        product_feature=product_feature,
        contact_reason=contact_reason,
        tag_names=tags_normalize(tags),
        language=language,
        followers=sorted({normalize_email(e, field="followers") for e in followers}),
        external_message_id=external_message_id or None,
        attachments=list(attachments),
        created_at=created_at,
        requester=requester,
    )


def _refuse_known_message_ids(ids: list[str | None]) -> None:
    wanted = [i for i in ids if i]
    repeated = next((i for n, i in enumerate(wanted) if i in wanted[:n]), None)
    known = repeated or (
        Message.objects.filter(external_message_id__in=wanted).values_list("external_message_id", flat=True).first()
        if wanted
        else None
    )
    if known:
        raise Conflict(
            f"A message with id {known!r} was already received.", errors={"external_message_id": "duplicate"}
        )


def tickets_insert_in_transaction(drafts: list[TicketDraft], *, message_ids_checked: bool = False) -> list[Ticket]:
    """Write validated drafts (each with its requester) as tickets with their first messages, inside the
    caller's transaction and in a fixed number of statements whatever their count (ingest writes a batch at
    once). Ticket numbers and change-feed positions follow the drafts' order. `message_ids_checked`: the
    caller has looked the external message ids up in this transaction (the unique index still guards a race).
    Its atomic callers: ticket_create, the mail ingest."""
    transaction_required("tickets_insert_in_transaction")
    if not drafts:
        return []
    first_seq = change_seq_take(len(drafts))  # the first lock of the transaction (see change_seq_next)
    if not message_ids_checked:
        _refuse_known_message_ids([d.external_message_id for d in drafts])
    first_number = counter_take(name="ticket", count=len(drafts))
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                priority_rank=PRIORITY_RANK[d.priority],
                waiting_since=None if d.author == AuthorType.AGENT else d.created_at or now,
                last_customer_message_at=None if d.author == AuthorType.AGENT else d.created_at or now,
                last_message_preview=message_preview(d.text),
                last_message_direction=Direction.OUT if d.author == AuthorType.AGENT else Direction.IN,
                last_message_author=d.actor if d.author == AuthorType.AGENT else None,
                number=first_number + i,
                subject=d.subject,
                status=d.status,
                priority=d.priority,
                channel=d.channel,
                requester=d.requester,
                company_id=d.contact.company_id,
                assignee=d.assignee,
                team=d.team,
                product_area_id=d.product_feature.area_id if d.product_feature else None,
                product_feature=d.product_feature,
                contact_reason=d.contact_reason,
                language=d.language or d.contact.language,
                followers=d.followers,
                created_at=d.created_at or now,
                updated_at=d.created_at or now,
                message_count=1,
                public_reply_count=0,
                change_seq=first_seq + i,
            )
            for i, d in enumerate(drafts)
        ]
    )
    # TicketStatusCount is a view over the rollup (migration 0004): one statement keeps both.
    rollup_apply(Counter(rollup_key(t) for t in tickets))
    if any(d.tag_names for d in drafts):  # new tickets have no tags yet: no need to read what set() replaces
        tags = _tags_named(name for d in drafts for name in d.tag_names)
        Ticket.tags.through.objects.bulk_create(
            [
                Ticket.tags.through(ticket=ticket, tag=tags[name])
                for ticket, d in zip(tickets, drafts, strict=True)
                for name in d.tag_names
            ]
        )
    messages = Message.objects.bulk_create(
        [
            Message(
                ticket=ticket,
                kind=MessageKind.REPLY,
                author_type=d.author,
                author_user=d.actor if d.author == AuthorType.AGENT else None,
                author_contact=None if d.author == AuthorType.AGENT else d.requester,
                channel=d.channel,
                body_text=d.text,
                body_html=d.html,
                body_original=d.text,
                external_message_id=d.external_message_id,
                created_at=ticket.created_at,
            )
            for ticket, d in zip(tickets, drafts, strict=True)
        ]
    )
    for ticket, message, d in zip(tickets, messages, drafts, strict=True):
        # Kept on the objects for a caller that answers with the new ticket (the API) without reading it back.
        message.saved_attachments = _attachments_save(message, d.attachments)
        ticket.tag_names = d.tag_names
    events_record_many(
        [
            event_build(
                actor=d.actor,
                verb="ticket.created",
                target=ticket,
                changes={
                    "status": [None, d.status],
                    "priority": [None, d.priority],
                    "channel": [None, d.channel],
                    "requester": [None, d.contact.pk],
                    "tags": [[], d.tag_names],
                },
            )
            for ticket, d in zip(tickets, drafts, strict=True)
        ]
    )
    for ticket, message, d in zip(tickets, messages, drafts, strict=True):
        ticket.first_message = message  # for callers that need the message (the mail ingest) without a query
        ticket_event_emit(
            TicketEvent(
                kind=TicketEventKind.CREATED,
                ticket_id=ticket.pk,
                actor_id=d.actor.pk if d.actor else None,
                changes={"status": [None, d.status], "priority": [None, d.priority], "channel": [None, d.channel]},
                message_id=message.pk,
            )
        )
    index_changed(TICKET, [t.pk for t in tickets])
    return tickets


@transaction.atomic
def ticket_create(
    *,
    subject: str,
    body: str = "",
    body_html: str = "",
    requester_email: str | None = None,
    requester_name: str = "",
    requester: Contact | None = None,
    language: str = "",
    actor: User | None = None,
    **fields: Any,
) -> Ticket:
    """Open a ticket with its first message. The requester is matched or created by email.
    `fields` are ticket_draft's: channel, priority, status, author, assignee, team, product_feature,
    contact_reason, tags, followers, external_message_id, attachments, created_at."""
    draft = ticket_draft(
        subject=subject, body=body, body_html=body_html, requester=requester, language=language, actor=actor, **fields
    )
    if draft.requester is None:
        if not requester_email:
            raise ValidationFailed("A ticket needs a requester email.", errors={"requester_email": "required"})
        requester_email = normalize_email(requester_email, field="requester_email")
        draft.requester, _created = contact_get_or_create_by_email(
            email=requester_email, name=requester_name, language=language, actor=actor
        )
    return tickets_insert_in_transaction([draft])[0]


UPDATABLE = {
    "subject",
    "status",
    "priority",
    "assignee",
    "team",
    "product_feature",
    "contact_reason",
    "language",
    "followers",
}


def ticket_locked(ticket: Ticket) -> Ticket:
    """The ticket's row, locked for the rest of the transaction and read afresh; NotFound if it is gone. One handed
    by number only (`selectors.ticket_to_write`: never read from the database) is found by its number."""
    field, value = ("number", ticket.number) if ticket._state.adding else ("pk", ticket.pk)
    found = compiled_one_or_none(
        (f"tickets: lock by {field}",),
        lambda ids: Ticket.objects.select_for_update().filter(**{field: ids["key"]}),
        {"key": value},
    )
    if found is None:
        raise NotFound("No such ticket.")
    return found


@transaction.atomic
def ticket_update(
    *, ticket: Ticket, actor: User | None, tags: Iterable[str] | None = None, actor_label: str = "", **values: Any
) -> Ticket:
    """Change a ticket's fields. Unknown fields are refused; the product area follows the feature. An automation
    (actor None) names itself in `actor_label` for the audit event ("Trigger “VIP”")."""
    unknown = set(values) - UPDATABLE
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", errors=dict.fromkeys(sorted(unknown), "unknown field")
        )
    seq = change_seq_next()
    ticket = ticket_locked(ticket)
    if "subject" in values:
        values["subject"] = clean_text(
            values["subject"], field="subject", required=True, max_length=SUBJECT_MAX
        ).strip()
    if "status" in values:
        _choice(values["status"], Status, "status")
    if "priority" in values:
        _choice(values["priority"], Priority, "priority")
    if "followers" in values:
        values["followers"] = sorted({normalize_email(e, field="followers") for e in values["followers"] or []})
    _check_feature_and_reason(values.get("product_feature"), values.get("contact_reason"))
    if "product_feature" in values:
        feature = values["product_feature"]
        values["product_area"] = feature.area if feature else None
    old_status = ticket.status
    old_key = rollup_key(ticket)
    tag_changes: dict[str, list[Any]] = {}
    if tags is not None:
        new_tags = tags_normalize(tags)
        old_tags = sorted(ticket.tags.values_list("name", flat=True))
        if new_tags != old_tags:
            _tags_set(ticket, new_tags)
            tag_changes["tags"] = [old_tags, new_tags]
    now = timezone.now()
    touch: dict[str, Any] = {"updated_at": now, "change_seq": seq}
    if "priority" in values:
        touch["priority_rank"] = PRIORITY_RANK[values["priority"]]
    new_status = values.get("status", old_status)
    if new_status != old_status:
        if new_status == Status.SOLVED and ticket.solved_at is None:
            touch["solved_at"] = now
        elif new_status in ACTIVE_STATUSES:
            touch["solved_at"] = None
    changes = model_update(
        ticket, values, allowed_fields=UPDATABLE | {"product_area"}, touch=touch, force=bool(tag_changes)
    )
    changes.update(tag_changes)
    if not changes:
        return ticket
    rollup_deltas: Counter[RollupKey] = Counter()
    rollup_move(rollup_deltas, old_key, rollup_key(ticket))
    rollup_apply(rollup_deltas)
    event_record(actor=actor, actor_label=actor_label, verb="ticket.updated", target=ticket, changes=changes)
    ticket_event_emit(
        TicketEvent(
            kind=TicketEventKind.UPDATED, ticket_id=ticket.pk, actor_id=actor.pk if actor else None, changes=changes
        )
    )
    index_changed(TICKET, [ticket.pk])
    return ticket


# The columns a reply changes (ticket_reply below): saving only these keeps the UPDATE small, and a column the
# reply did not touch is not written back.
REPLY_FIELDS = [
    "public_reply_count",
    "message_count",
    "first_response_at",
    "status",
    "solved_at",
    "updated_at",
    "change_seq",
    "waiting_since",
    "last_message_preview",
    "last_message_direction",
    "last_message_author",
]


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    actor: User | None,
    body: str = "",
    body_html: str = "",
    status: str | None = None,
    cc: Iterable[str] | None = None,
    attachments: Iterable[IncomingFile] = (),
    channel: str | None = None,
    hold_seconds: int = 0,
    actor_label: str = "",
) -> Message:
    """Post a public agent reply; the first one sets first_response_at. Channels deliver it after commit.
    With `hold_seconds` (undo send) the reply can be withdrawn for that long and its mail waits for it.
    An automation (a trigger's templated reply, a time rule's reminder) replies with `actor=None` and names
    itself in `actor_label`: the message is then the system's."""
    text, html = _body_pair(body, body_html)
    seq = change_seq_next()
    ticket = ticket_locked(ticket)
    cc_list = ticket.followers if cc is None else sorted({normalize_email(e, field="cc") for e in cc})
    now = timezone.now()
    channel = channel or ticket.channel
    message = Message.objects.create(
        ticket=ticket,
        kind=MessageKind.REPLY,
        author_type=AuthorType.AGENT if actor is not None else AuthorType.SYSTEM,
        author_user=actor,
        channel=channel,
        body_text=text,
        body_html=html,
        body_original=text,
        cc=cc_list,
        created_at=now,
        delivery_status=DeliveryStatus.PENDING if channel == Channel.EMAIL else DeliveryStatus.NONE,
        held_until=now + timedelta(seconds=hold_seconds) if hold_seconds > 0 else None,
    )
    message.saved_attachments = _attachments_save(message, attachments)
    old_key = rollup_key(ticket)
    changes: dict[str, list[Any]] = {"public_reply_count": [ticket.public_reply_count, ticket.public_reply_count + 1]}
    ticket.public_reply_count += 1
    ticket.message_count += 1
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        changes["first_response_at"] = [None, now]
    new_status = status or (Status.OPEN if ticket.status == Status.NEW else None)
    if new_status and new_status != ticket.status:
        _choice(new_status, Status, "status")
        changes["status"] = [ticket.status, new_status]
        ticket.status = new_status
        if new_status == Status.SOLVED:
            ticket.solved_at = now
    ticket.updated_at = now
    ticket.change_seq = seq
    # A public reply answers whoever was waiting; the row now previews it as outgoing. Listeners learn whether
    # somebody was (the SLA clock has a running cycle to fulfil only then) from the event's changes.
    answered = {"waiting_since": [ticket.waiting_since, None]} if ticket.waiting_since is not None else {}
    ticket.waiting_since = None
    ticket.last_message_preview = message_preview(text)
    ticket.last_message_direction = Direction.OUT
    ticket.last_message_author = actor
    ticket.save(update_fields=REPLY_FIELDS)
    rollup_deltas: Counter[RollupKey] = Counter()
    rollup_move(rollup_deltas, old_key, rollup_key(ticket))
    rollup_apply(rollup_deltas)
    event_record(
        actor=actor,
        actor_label=actor_label,
        verb="ticket.replied",
        target=ticket,
        changes={**changes, "message": [None, message.pk]},
    )
    if channel == Channel.EMAIL:
        _on_commit_call(hooks.public_reply_listeners, message.pk)
    ticket_event_emit(
        TicketEvent(
            kind=TicketEventKind.REPLIED,
            ticket_id=ticket.pk,
            actor_id=actor.pk if actor is not None else None,
            changes={**changes, **answered},
            message_id=message.pk,
            at=now,
        )
    )
    index_changed(TICKET, [ticket.pk])
    return message


@transaction.atomic
def ticket_add_note(*, ticket: Ticket, actor: User, body: str = "", body_html: str = "") -> Message:
    """Add an internal note, never shown to the customer."""
    text, html = _body_pair(body, body_html)
    seq = change_seq_next()
    ticket = ticket_locked(ticket)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        kind=MessageKind.NOTE,
        author_type=AuthorType.AGENT,
        author_user=actor,
        channel=ticket.channel,
        body_text=text,
        body_html=html,
        body_original=text,
        created_at=now,
    )
    message.saved_attachments = []  # a note has none yet: the caller answers without asking
    ticket.message_count += 1
    ticket.updated_at = now
    ticket.change_seq = seq
    ticket.save(update_fields=["message_count", "updated_at", "change_seq"])
    event_record(actor=actor, verb="ticket.noted", target=ticket, changes={"message": [None, message.pk]})
    ticket_event_emit(
        TicketEvent(kind=TicketEventKind.NOTED, ticket_id=ticket.pk, actor_id=actor.pk, message_id=message.pk)
    )
    index_changed(TICKET, [ticket.pk])
    return message


@transaction.atomic
def ticket_add_system_note(
    *, ticket: Ticket, body: str, actor_label: str = "system", attachments: Iterable[IncomingFile] = ()
) -> Message:
    """Add an internal note written by the system (e.g. a delivery failure report). It never changes the
    ticket's status, so it never reopens a solved or closed ticket, and it is never sent to anyone."""
    text, html = _body_pair(body, "")
    seq = change_seq_next()
    ticket = ticket_locked(ticket)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        kind=MessageKind.NOTE,
        author_type=AuthorType.SYSTEM,
        channel=ticket.channel,
        body_text=text,
        body_html=html,
        body_original=text,
        created_at=now,
    )
    _attachments_save(message, attachments)
    ticket.message_count += 1
    ticket.updated_at = now
    ticket.change_seq = seq
    ticket.save(update_fields=["message_count", "updated_at", "change_seq"])
    event_record(
        actor=None,
        actor_label=actor_label,
        verb="ticket.system_noted",
        target=ticket,
        changes={"message": [None, message.pk]},
    )
    index_changed(TICKET, [ticket.pk])
    return message


def _activity_save(tickets: Iterable[Ticket]) -> None:
    """Save the fields a new message changes, for many tickets in one executemany: Django's bulk_update
    builds a CASE per field and row, which cost ~25 ms of Python for a poller's batch."""
    ops = connection.ops
    table = ops.quote_name(Ticket._meta.db_table)
    columns = (
        "status",
        "solved_at",
        "message_count",
        "updated_at",
        "change_seq",
        "waiting_since",
        "last_customer_message_at",
        "snoozed_until",
        "last_message_preview",
        "last_message_direction",
        "last_message_author_id",
    )
    assignments = ", ".join(f"{ops.quote_name(c)} = %s" for c in columns)
    rows = [
        (
            t.status,
            ops.adapt_datetimefield_value(t.solved_at),
            t.message_count,
            ops.adapt_datetimefield_value(t.updated_at),
            t.change_seq,
            ops.adapt_datetimefield_value(t.waiting_since),
            ops.adapt_datetimefield_value(t.last_customer_message_at),
            ops.adapt_datetimefield_value(t.snoozed_until),
            t.last_message_preview,
            t.last_message_direction,
            t.last_message_author_id,
            t.pk,
        )
        for t in tickets
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {ops.quote_name('id')} = %s", rows)  # noqa: S608 - the model's table and column names, quoted; values are parameters


@dataclass
class CustomerMessageDraft:
    """A validated customer message for an existing ticket: see customer_message_draft and
    customer_messages_add_in_transaction."""

    ticket_id: int
    contact: Contact
    text: str
    html: str
    original: str
    channel: str
    external_message_id: str | None
    cc: list[str]
    attachments: list[IncomingFile]
    reopen: bool


def customer_message_draft(
    *,
    ticket: Ticket,
    contact: Contact,
    body: str = "",
    body_html: str = "",
    body_original: str = "",
    channel: str = Channel.EMAIL,
    external_message_id: str | None = None,
    cc: Iterable[str] = (),
    attachments: Iterable[IncomingFile] = (),
    reopen: bool = True,
) -> CustomerMessageDraft:
    """Validate a customer message without touching the database."""
    text, html = _body_pair(body, body_html)
    return CustomerMessageDraft(
        ticket_id=ticket.pk,
        contact=contact,
        text=text,
        html=html,
        original=clean_text(body_original, field="body") or text,
        channel=channel,
        external_message_id=external_message_id or None,
        cc=sorted(set(cc)),
        attachments=list(attachments),
        reopen=reopen,
    )


def customer_messages_add_in_transaction(
    drafts: list[CustomerMessageDraft], *, message_ids_checked: bool = False
) -> list[Message]:
    """Record customers' messages on existing tickets, in draft order, with a fixed number of statements,
    inside the caller's transaction (message_add_from_contact's, the mail ingest's). A message reopens a
    pending, solved or on-hold ticket (unless its draft says not to). `message_ids_checked` as for
    tickets_insert_in_transaction."""
    transaction_required("customer_messages_add_in_transaction")
    if not drafts:
        return []
    first_seq = change_seq_take(len(drafts))
    if not message_ids_checked:
        _refuse_known_message_ids([d.external_message_id for d in drafts])
    tickets = Ticket.objects.select_for_update().order_by("pk").in_bulk({d.ticket_id for d in drafts})
    now = timezone.now()
    rollup_deltas: Counter[RollupKey] = Counter()
    old_keys = {pk: rollup_key(t) for pk, t in tickets.items()}
    changes_list = []
    woken: list[tuple[Ticket, datetime]] = []
    for i, d in enumerate(drafts):
        ticket = tickets[d.ticket_id]
        changes: dict[str, list[Any]] = {}
        if ticket.snoozed_until is not None:  # a customer's reply wakes a snoozed ticket (tickets/services/snooze.py)
            woken.append((ticket, ticket.snoozed_until))
            ticket.snoozed_until = None
        if d.reopen and ticket.status in (Status.PENDING, Status.SOLVED, Status.ON_HOLD):
            changes["status"] = [ticket.status, Status.OPEN]
            ticket.status = Status.OPEN
            ticket.solved_at = None
        ticket.message_count += 1
        ticket.updated_at = now
        ticket.change_seq = first_seq + i
        ticket.waiting_since = ticket.waiting_since or now
        ticket.last_customer_message_at = now
        ticket.last_message_preview = message_preview(d.text)
        ticket.last_message_direction = Direction.IN
        ticket.last_message_author_id = None
        changes_list.append(changes)
    messages = Message.objects.bulk_create(
        [
            Message(
                ticket_id=d.ticket_id,
                kind=MessageKind.REPLY,
                author_type=AuthorType.CONTACT,
                author_contact=d.contact,
                channel=d.channel,
                body_text=d.text,
                body_html=d.html,
                body_original=d.original,
                external_message_id=d.external_message_id,
                cc=d.cc,
                created_at=now,
            )
            for d in drafts
        ]
    )
    for message, d in zip(messages, drafts, strict=True):
        message.ticket = tickets[d.ticket_id]
        _attachments_save(message, d.attachments)
    _activity_save(tickets.values())
    for pk, ticket in tickets.items():
        rollup_move(rollup_deltas, old_keys[pk], rollup_key(ticket))
    rollup_apply(rollup_deltas)
    events_record_many(
        [
            event_build(
                actor=None,
                actor_label=str(d.contact),
                verb="ticket.customer_replied",
                target=tickets[d.ticket_id],
                changes={"message": [None, message.pk], **changes},
            )
            for d, message, changes in zip(drafts, messages, changes_list, strict=True)
        ]
        + [
            event_build(
                actor=None,
                actor_label="system",
                verb="ticket.woken",
                target=t,
                changes={"snoozed_until": [until, None], "reason": [None, "reply"]},
            )
            for t, until in woken
        ]
    )
    for d, message, changes in zip(drafts, messages, changes_list, strict=True):
        ticket_event_emit(
            TicketEvent(
                kind=TicketEventKind.CUSTOMER_REPLIED,
                ticket_id=d.ticket_id,
                changes=changes,
                message_id=message.pk,
                at=message.created_at,
            )
        )
    index_changed(TICKET, tickets.keys())
    return messages


@transaction.atomic
def message_add_from_contact(*, ticket: Ticket, **fields: Any) -> Message:
    """Record a customer's message on an existing ticket; it reopens a pending or solved ticket.
    `fields` are customer_message_draft's."""
    return customer_messages_add_in_transaction([customer_message_draft(ticket=ticket, **fields)])[0]
