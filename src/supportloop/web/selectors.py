"""Reads for the pages that no other app needs: lean inbox rows, sidebar counts, customer panels.

The inbox rows are plain dicts from `.values()` (no model instances) so 50 rows cost one SQL query, one
query for their tags, and a Jinja2 loop (see docs/decisions/0003-inbox-rendering.md).
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from django.core.cache import cache
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Length, Substr
from django.utils import timezone

from supportloop.accounts.models import Team, User
from supportloop.accounts.permissions import can
from supportloop.core.compiled import compiled_once, one_row
from supportloop.core.errors import NotFound
from supportloop.core.lookup import object_or_404
from supportloop.core.models import Event
from supportloop.customers.models import Contact, CustomerNote
from supportloop.customers.selectors import addresses_bounced, contact_emails_with_bounces, customer_notes_of
from supportloop.feedback.models import EngineeringLink, FeedbackItem
from supportloop.feedback.selectors import feedback_items_asked_by, feedback_items_linked_to
from supportloop.mail.models import FollowerProposal
from supportloop.mail.selectors import follower_proposals_of
from supportloop.tickets.choices import ACTIVE_STATUSES, Priority, Status
from supportloop.tickets.models import Attachment, Draft, MacroApplication, Message, Tag, Ticket
from supportloop.tickets.selectors import TicketFilters, ticket_queryset
from supportloop.web.jsonrows import JSONRows, nested, rows, stamp, when
from supportloop.web.models import InboxPreference, SavedView
from supportloop.web.timeline import timeline_entries

# Characters of one message body the ticket page shows; a longer body is clipped there, with a link to the
# whole text. Gmail clips messages at about 102 kB for the same reason: a person's message, quoted thread
# included, is far below it, while a 10 MB log or a pasted dump would make the page megabytes of HTML that
# the browser chokes on. 100,000 characters render in a few milliseconds.
BODY_DISPLAY_LIMIT = 100_000

# sort key -> its columns, each (field, descending); the id breaks ties in the last column's direction. Each sort of
# the awake active tickets is one index scan: tickets_active_recent_idx, tickets_active_created_idx,
# tickets_waiting_idx, tickets_priority_idx (tickets/models.py; EXPLAIN plans in docs/web.md).
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "-updated": (("updated_at", True),),
    "updated": (("updated_at", False),),
    "-created": (("created_at", True),),
    "created": (("created_at", False),),
    "waiting": (("waiting_since", False),),
    "priority": (("priority_rank", False), ("updated_at", True)),
}
# "Longest waiting" lists the tickets somebody waits on (waiting_since is set), oldest first: a ticket the agents
# answered last has no place in that queue, and leaving it out keeps the sort on its partial index.
SORT_FILTERS = {"waiting": {"waiting_since__isnull": False}}
# Assignee and team names are not joined here: the page already holds the (small) lists of agents and teams
# for its filters, so the view maps the ids; two joins fewer keeps planning and execution lean at 1M rows.
ROW_FIELDS = (
    "id",
    "number",
    "subject",
    "status",
    "priority",
    "updated_at",
    "requester__name",
    "company__name",
    "assignee_id",
    "team_id",
    "waiting_since",
    "snoozed_until",
    "last_message_preview",
    "last_message_direction",
    "last_message_author_id",
)


@dataclass
class InboxPage:
    rows: list[dict[str, Any]]  # ROW_FIELDS and tags
    next_cursor: str | None


def _cursor_encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str, columns: tuple[tuple[str, bool], ...]) -> list[Any] | None:
    """The sort values and id a cursor carries, typed by the sort's columns; None when it does not fit (a page
    of an older URL or another sort starts from the top rather than failing)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(columns) + 1:
            return None
        values: list[Any] = []
        for (field, _desc), value in zip(columns, raw, strict=False):
            if field.endswith(("_at", "_since")):
                stamp = datetime.fromisoformat(value)
                if stamp.tzinfo is None:
                    return None
                values.append(stamp)
            else:
                values.append(int(value))
        pk = int(raw[-1])
        if not 0 <= pk < 2**63:
            return None
        return [*values, pk]
    except Exception:  # noqa: BLE001 - whatever a hostile cursor breaks is a first page
        return None


def _after(columns: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows after `values` in the order of `columns` (keyset): a < x OR (a = x AND (b < y OR ...))."""
    (field, desc), value = columns[0], values[0]
    beyond = Q(**{f"{field}__{'lt' if desc else 'gt'}": value})
    if len(columns) == 1:
        return beyond
    return beyond | (Q(**{field: value}) & _after(columns[1:], values[1:]))


def inbox_page(
    *, filters: TicketFilters, sort: str = "-updated", cursor: str | None = None, limit: int = 50
) -> InboxPage:
    """One page of inbox rows as dicts, keyset-paginated on (the sort's columns, id): two queries."""
    sort_columns = SORTS.get(sort, SORTS["-updated"])
    columns = [*sort_columns, ("id", sort_columns[-1][1])]
    qs = filters.apply(Ticket.objects.all()).filter(**SORT_FILTERS.get(sort, {}))
    if cursor:
        after = _cursor_decode(cursor, sort_columns)
        if after is not None:
            qs = qs.filter(_after(columns, after))
    order = [f"-{field}" if desc else field for field, desc in columns]
    extra = [f for f, _desc in sort_columns if f not in ROW_FIELDS]
    rows = list(qs.order_by(*order).values(*ROW_FIELDS, *extra)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = _cursor_encode([last[f] for f, _desc in columns])
        rows = rows[:limit]
    tags: dict[int, list[str]] = defaultdict(list)
    if rows:
        through = Ticket.tags.through
        for ticket_id, name in (
            through.objects.filter(ticket_id__in=[r["id"] for r in rows])
            .order_by("tag__name")
            .values_list("ticket_id", "tag__name")
        ):
            tags[ticket_id].append(name)
    for row in rows:
        row["tags"] = tags.get(row["id"], [])
    return InboxPage(rows=rows, next_cursor=next_cursor)


COUNTS_TTL = 30  # seconds; the sidebar may lag this much behind, the rows never do


class WorkspaceCounts(TypedDict):
    all: int
    pending: int
    solved: int
    unassigned: int
    urgent: int
    team: dict[int, int]  # team id: active tickets
    area: dict[int, int]  # product area id: active tickets


class InboxCounts(WorkspaceCounts):
    mine: int


def workspace_counts() -> WorkspaceCounts:
    """Counts that are the same for everyone: one grouped scan of the active tickets (partial index) plus the
    exact per-status rollup; cached for COUNTS_TTL seconds and shared by all users (2 queries per 30 s)."""
    counts: WorkspaceCounts | None = cache.get("web:inbox-counts")
    if counts is not None:
        return counts
    from supportloop.tickets.selectors import ticket_status_counts

    by_status = ticket_status_counts()
    counts = {
        "all": sum(by_status[s] for s in ACTIVE_STATUSES),
        "pending": by_status[Status.PENDING],
        "solved": by_status[Status.SOLVED],
        "unassigned": 0,
        "urgent": 0,
        "team": {},
        "area": {},
    }
    groups = (
        Ticket.objects.filter(status__in=ACTIVE_STATUSES)
        .order_by()
        .values("team_id", "product_area_id", "priority")
        .annotate(n=Count("id"), unassigned=Count("id", filter=Q(assignee__isnull=True)))
    )
    for g in groups:
        counts["unassigned"] += g["unassigned"]
        if g["priority"] == Priority.URGENT:
            counts["urgent"] += g["n"]
        if g["team_id"] is not None:
            counts["team"][g["team_id"]] = counts["team"].get(g["team_id"], 0) + g["n"]
        if g["product_area_id"] is not None:
            counts["area"][g["product_area_id"]] = counts["area"].get(g["product_area_id"], 0) + g["n"]
    cache.set("web:inbox-counts", counts, COUNTS_TTL)
    return counts


def inbox_counts_forget(user: User | None = None) -> None:
    """Drop the cached counts after a change made from these pages, so its author sees it at once."""
    cache.delete_many(["web:inbox-counts"] + ([f"web:inbox-mine:{user.pk}"] if user is not None else []))


def inbox_counts(*, user: User) -> InboxCounts:
    """Counts per built-in view, per team and per product area over active tickets.

    The shared figures come from `workspace_counts`; "mine" is one index count on (assignee, status), cached
    per user for the same few seconds. Changes made from these pages drop both (`inbox_counts_forget`).
    """
    key = f"web:inbox-mine:{user.pk}"
    mine: int | None = cache.get(key)
    if mine is None:
        mine = Ticket.objects.filter(assignee_id=user.pk, status__in=ACTIVE_STATUSES).count()
        cache.set(key, mine, COUNTS_TTL)
    return {**workspace_counts(), "mine": mine}


def ticket_timeline(*, ticket: Ticket, limit: int = 40) -> list[Event]:
    """The newest audit events of a ticket, newest first: one query."""
    return list(
        Event.objects.filter(target_type="tickets.ticket", target_id=str(ticket.pk))
        .select_related(None)
        .order_by("-created_at", "-id")[:limit]
    )


class RecentTicket(TypedDict):
    number: int
    subject: str
    status: str
    updated_at: datetime


def contact_recent_tickets(*, contact_id: int, exclude_id: int | None = None, limit: int = 5) -> list[RecentTicket]:
    qs = Ticket.objects.filter(requester_id=contact_id)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.order_by("-updated_at").values("number", "subject", "status", "updated_at")[:limit])


def ticket_for_page(*, number: int) -> Ticket:
    """The ticket of the workspace page with its tags; its messages come from ticket_thread."""
    return object_or_404(ticket_queryset().prefetch_related("tags"), number=number)


def ticket_thread(*, ticket: Ticket, clip_at: int = BODY_DISPLAY_LIMIT) -> list[Message]:
    """The ticket's messages for the page, oldest first, with authors and attachments: one query (the attachments
    of each message come as a JSON column, web/jsonrows.py). A body over `clip_at` characters comes as
    `clipped_text` (its first `clip_at` characters; `shown_html` is then empty) and `body_length`; the database
    never sends the rest of it."""
    long = Q(body_length__gt=clip_at)

    def thread_query(ids: dict[str, int]) -> QuerySet[Message]:
        return (
            Message.objects.filter(ticket_id=ids["ticket"])
            .select_related("author_user", "author_contact")
            .annotate(
                attachment_rows=JSONRows(
                    Attachment.objects.filter(message_id=OuterRef("pk")).order_by("id"),
                    id="id",
                    filename="filename",
                    size="size",
                )
            )
            .annotate(body_length=Length("body_text"))
            .annotate(
                shown_html=Case(When(long, then=Value("")), default=F("body_html"), output_field=TextField()),
                clipped_text=Case(
                    When(long, then=Substr("body_text", 1, clip_at)), default=Value(""), output_field=TextField()
                ),
            )
            .defer("body_text", "body_html", "body_original")
            .order_by("created_at", "id")
        )

    # Compiled once per process (web/jsonrows.py): the ORM took longer to write this SQL than PostgreSQL to run it.
    messages: list[Any] = compiled_once(("ticket thread", clip_at), thread_query, {"ticket": ticket.pk})
    for message in messages:
        attachments = sorted(rows(message.attachment_rows), key=lambda r: r["id"])
        _prefetched(
            message,
            "attachments",
            [Attachment(pk=r["id"], message=message, filename=r["filename"], size=r["size"]) for r in attachments],
        )
    return messages


def message_text(*, number: int, message_id: int) -> str:
    """The whole text of one message of ticket `number`."""
    text = Message.objects.filter(ticket__number=number, pk=message_id).values_list("body_text", flat=True).first()
    if text is None:
        raise NotFound(f"Ticket #{number} has no message {message_id}.")
    return text


def inbox_preference_of(*, user: User) -> InboxPreference:
    """The user's remembered inbox sort and view (an unsaved blank one when they never chose): one query."""
    found = InboxPreference.objects.filter(user_id=user.pk).first()
    return found if found is not None else InboxPreference(user_id=user.pk)


def saved_views_of(*, user: User) -> QuerySet[SavedView]:
    """A user's saved inbox views, in their order: also the scope for a saved-view id in a URL (removal)."""
    return SavedView.objects.filter(user=user)


PANEL_NOTES = 5  # per contact and per company
PANEL_OTHER_TICKETS = 5
PANEL_FEEDBACK = 20
TIMELINE_EVENTS = 40


def _panel_columns(*, ticket_id: int, contact_id: int, company_id: int | None) -> dict[str, JSONRows]:
    """The lists beside the thread, each one JSON column of the panel query (see web/jsonrows.py)."""
    note_fields = {
        "id": "id",
        "body": "body",
        "created_at": "created_at",
        "author_id": "author_id",
        "author_username": "author__username",
        "author_first": "author__first_name",
        "author_last": "author__last_name",
    }
    columns = {
        "tags": JSONRows(Ticket.tags.through.objects.filter(ticket_id=ticket_id), id="tag_id", name="tag__name"),
        "emails": JSONRows(
            contact_emails_with_bounces().filter(contact_id=contact_id)[:5],
            id="id",
            email="email",
            bounce_status="bounce_status",
            bounced_at="bounced_at",
            suppressed_until="suppressed_until",
        ),
        "contact_notes": JSONRows(customer_notes_of(contact_id=contact_id)[:PANEL_NOTES], **note_fields),
        "other_tickets": JSONRows(
            Ticket.objects.filter(requester_id=contact_id)
            .exclude(pk=ticket_id)
            .order_by("-updated_at", "-id")[:PANEL_OTHER_TICKETS],
            id="id",
            number="number",
            subject="subject",
            status="status",
            updated_at="updated_at",
        ),
        "contact_feedback": JSONRows(
            feedback_items_asked_by(contact_id=contact_id)[:PANEL_FEEDBACK],
            id="id",
            title="title",
            kind="kind",
            status="status",
            last_heard="stats__last_heard",
        ),
        "proposals": JSONRows(
            follower_proposals_of(ticket_id=ticket_id), id="id", email="email", created_at="created_at"
        ),
        "macros": JSONRows(MacroApplication.objects.filter(ticket_id=ticket_id), id="macro_id", name="macro__name"),
        "drafts": JSONRows(
            Draft.objects.filter(ticket_id=ticket_id),
            id="id",
            user_id="user_id",
            username="user__username",
            first_name="user__first_name",
            last_name="user__last_name",
            kind="kind",
            body="body",
            updated_at="updated_at",
        ),
        "ticket_feedback": JSONRows(
            feedback_items_linked_to(ticket_id=ticket_id),
            id="id",
            title="title",
            kind="kind",
            status="status",
            updated_at="updated_at",
            links=JSONRows(
                EngineeringLink.objects.filter(item_id=OuterRef("id")).order_by("created_at", "id"),
                id="id",
                tracker="tracker",
                url="url",
                key="key",
                created_at="created_at",
            ),
        ),
        "events": JSONRows(
            Event.objects.filter(target_type="tickets.ticket", target_id=str(ticket_id)).order_by("-created_at", "-id")[
                :TIMELINE_EVENTS
            ],
            id="id",
            created_at="created_at",
            actor_id="actor_id",
            actor_label="actor_label",
            verb="verb",
            changes="changes",
        ),
    }
    if company_id is not None:
        columns["company_notes"] = JSONRows(customer_notes_of(company_id=company_id)[:PANEL_NOTES], **note_fields)
    return columns


def _note(row: dict[str, Any]) -> CustomerNote:
    author = None
    if row["author_id"] is not None:
        author = User(
            pk=row["author_id"],
            username=row["author_username"],
            first_name=row["author_first"],
            last_name=row["author_last"],
        )
    return CustomerNote(pk=row["id"], body=row["body"], created_at=stamp(row["created_at"]), author=author)


def _newest_first(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(items, key=lambda r: (when(r[key]) or oldest, r["id"]), reverse=True)


def _prefetched(obj: Any, relation: str, related: list[Any]) -> None:
    """Fill `obj.<relation>.all()` as prefetch_related would, so the page and its forms read it without a query."""
    cached = getattr(obj, relation).all()
    cached._result_cache = related
    setattr(cached, "_prefetch_done", True)  # noqa: B010 - Django's private flag, absent from the type stubs
    setattr(obj, "_prefetched_objects_cache", {**getattr(obj, "_prefetched_objects_cache", {}), relation: cached})  # noqa: B010


def _linked_feedback(panel_rows: list[dict[str, Any]]) -> list[FeedbackItem]:
    """The ticket's feedback items (newest change first, as the panel query does not promise an order) with their
    engineering links attached."""
    items = []
    for r in _newest_first(panel_rows, "updated_at"):
        item = FeedbackItem(pk=r["id"], title=r["title"], kind=r["kind"], status=r["status"])
        links = sorted(rows(nested(r["links"])), key=lambda link: (when(link["created_at"]), link["id"]))
        _prefetched(
            item,
            "links",
            [
                EngineeringLink(pk=link["id"], item=item, tracker=link["tracker"], url=link["url"], key=link["key"])
                for link in links
            ],
        )
        items.append(item)
    return items


def saved_views_visible(*, user: User) -> QuerySet[SavedView]:
    """The views in a user's inbox sidebar: their own, then those shared with one of their teams (with the
    owner's name and the team's). A subquery, not a join through the members, so no view comes twice."""
    my_teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    return (
        SavedView.objects.filter(Q(user=user) | Q(team_id__in=my_teams))
        .select_related("user", "team")
        .order_by(Case(When(user=user, then=Value(0)), default=Value(1)), "position", "name", "id")
    )


def _customer_panel(ticket: Ticket) -> dict[str, Any]:
    """The ticket's tags and timeline, follower proposals, and the requester and company beside the thread:
    addresses (and which of them bounce), notes, other tickets and the feedback the requester gave. One query
    (two when the ticket has followers, whose bounces are looked up too)."""
    contact = ticket.requester
    company = ticket.company
    ids = {"ticket": ticket.pk, "contact": contact.pk}
    if company is not None:
        ids["company"] = company.pk

    def panel_query(ids: dict[str, int]) -> QuerySet[Contact, Any]:
        columns = _panel_columns(ticket_id=ids["ticket"], contact_id=ids["contact"], company_id=ids.get("company"))
        # Prefixed so no list's name clashes with a field of Contact (its emails, notes ...).
        return Contact.objects.filter(pk=ids["contact"]).values(**{f"list_{n}": c for n, c in columns.items()})

    read = one_row(("ticket panel", company is not None), panel_query, ids)
    panel: dict[str, Any] = {name.removeprefix("list_"): value for name, value in read.items()}
    _prefetched(
        ticket, "tags", sorted((Tag(pk=r["id"], name=r["name"]) for r in rows(panel["tags"])), key=lambda t: t.name)
    )
    emails = sorted(rows(panel["emails"]), key=lambda r: r["id"])
    # Replies to these still go out; the agent should know they probably will not arrive. The requester's
    # addresses come with their bounce in the query above; followers cost a query only when there are some.
    now = timezone.now()
    bounced = [
        {"email": e["email"], "status": e["bounce_status"], "bounced_at": when(e["bounced_at"])}
        for e in emails
        if (until := when(e["suppressed_until"])) is not None and until > now
    ]
    if ticket.followers:
        bounced += [
            {"email": b.email, "status": b.status, "bounced_at": b.bounced_at}
            for b in addresses_bounced(list(ticket.followers))
        ]
    events = [
        Event(
            pk=r["id"],
            created_at=stamp(r["created_at"]),
            actor_id=r["actor_id"],
            actor_label=r["actor_label"],
            verb=r["verb"],
            target_type="tickets.ticket",
            target_id=str(ticket.pk),
            changes=nested(r["changes"]) or {},
        )
        for r in _newest_first(rows(panel["events"]), "created_at")
    ]
    feedback = sorted(
        rows(panel["contact_feedback"]),
        key=lambda r: (when(r["last_heard"]) is not None, when(r["last_heard"]) or now, r["id"]),
        reverse=True,
    )
    return {
        "contact": contact,
        "company": company,
        "emails": [e["email"] for e in emails],
        "bounced": bounced,
        "contact_notes": [_note(r) for r in _newest_first(rows(panel["contact_notes"]), "created_at")],
        "company_notes": [_note(r) for r in _newest_first(rows(panel.get("company_notes")), "created_at")],
        "other_tickets": [
            {"number": r["number"], "subject": r["subject"], "status": r["status"], "updated_at": when(r["updated_at"])}
            for r in _newest_first(rows(panel["other_tickets"]), "updated_at")
        ],
        "contact_feedback": [
            FeedbackItem(pk=r["id"], title=r["title"], kind=r["kind"], status=r["status"]) for r in feedback
        ],
        "follower_proposals": [
            FollowerProposal(pk=r["id"], ticket_id=ticket.pk, email=r["email"], created_at=stamp(r["created_at"]))
            for r in sorted(rows(panel["proposals"]), key=lambda r: (r["created_at"], r["id"]))
        ],
        "timeline": timeline_entries(events, macros={r["id"]: r["name"] for r in rows(panel["macros"])}),
        "ticket_feedback": _linked_feedback(rows(panel["ticket_feedback"])),
        "drafts": [
            Draft(
                pk=r["id"],
                ticket_id=ticket.pk,
                user=User(
                    pk=r["user_id"], username=r["username"], first_name=r["first_name"], last_name=r["last_name"]
                ),
                kind=r["kind"],
                body=r["body"],
                updated_at=stamp(r["updated_at"]),
            )
            for r in _newest_first(rows(panel["drafts"]), "updated_at")
        ],
    }


def ticket_workspace(*, number: int, user: User) -> dict[str, Any]:
    """Everything the ticket page shows but its forms: the ticket, its thread and audit timeline, follower
    proposals, linked feedback, the customer panel and what `user` may do. NotFound for an unknown number.
    Three queries whatever the length of the thread: the ticket, the panel (web/jsonrows.py, with the ticket's
    feedback and its engineering links), the messages with their attachments (web/tests/test_ticket_workspace.py
    counts them)."""
    # The SQL is compiled once (web/jsonrows.py), so the ORM's own out-of-range check does not run: do it here.
    found = (
        compiled_once(("ticket page",), lambda ids: ticket_queryset().filter(number=ids["number"]), {"number": number})
        if 0 < number < 2**63
        else []
    )
    if not found:
        raise NotFound("No such ticket.")
    ticket = found[0]
    return {
        "ticket": ticket,
        "thread": ticket_thread(ticket=ticket),
        "body_display_limit": BODY_DISPLAY_LIMIT,
        "can_reply": can(user, "ticket.reply"),
        "can_update": can(user, "ticket.update"),
        "can_note": can(user, "ticket.note"),
        "can_link": can(user, "feedback.evidence"),
        "can_file_bug": can(user, "feedback.file_bug"),
        **_customer_panel(ticket),
    }
