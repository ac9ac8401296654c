"""Bulk loader: writes planned tickets, messages and tags as rows, for 100k .. 1M+ ticket databases.

It bypasses the services on purpose (they cost ~5 ms a ticket; a million would take hours) and keeps their
invariants by hand: ticket numbers come from `counter_reserve`, `company_id` is copied from the requester,
the TicketStatusCount and TicketRollup counts are incremented by the exact number of rows loaded per key, the
queue columns (waiting_since, last message preview ...) are computed from the plan's steps, message and reply
counts match the messages written, and the product area follows the feature. It writes no audit events for
the loaded history (the workspace setup before it does go through services).

PostgreSQL: COPY (psycopg) into the tables with their secondary indexes dropped, then the indexes are built
again (including any GIN index a later migration adds) and the tables analysed; foreign-key triggers are
skipped for the load when the role is a superuser, since every id written was taken from rows that exist.
SQLite: executemany in large transactions with the secondary indexes dropped and rebuilt the same way.
"""

from __future__ import annotations

import json
import time
from collections import Counter as Tally
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import Max

from supportloop.analytics.rollups import analytics_rebuild
from supportloop.core.services import CHANGES_COUNTER, counter_reserve
from supportloop.demo import phrases as P
from supportloop.demo.plan import TicketPlanner, epoch_to_dt
from supportloop.demo.workspace import Workspace
from supportloop.tickets.choices import PRIORITY_RANK
from supportloop.tickets.models import Message, Tag, Ticket
from supportloop.tickets.rollups import NONE_KEY, RollupKey, rollup_apply
from supportloop.tickets.services.tickets import message_preview

CHUNK = 20_000


@lru_cache(maxsize=300_000)
def _html(text: str) -> str:
    from supportloop.tickets.sanitize import text_to_html

    return text_to_html(text)


class _Table:
    """Column order and constant defaults of one model's table, so rows are plain tuples."""

    def __init__(self, model, explicit: set[str]):
        self.model = model
        self.name = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.defaults = {}
        for f in self.fields:
            if f.attname not in explicit:
                value = f.get_default()
                if isinstance(value, (list, dict)):
                    value = json.dumps(value)
                self.defaults[f.attname] = value

    def row(self, values: dict) -> tuple:
        d = self.defaults
        return tuple(values[f.attname] if f.attname in values else d[f.attname] for f in self.fields)


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of indexes that no constraint needs, for the given tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
                "AND i.schemaname = current_schema() "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [tables],
            )
        else:
            placeholders = ",".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608 - only %s placeholders are interpolated; the table names are parameters
                f"AND tbl_name IN ({placeholders})",
                tables,
            )
        return list(cursor.fetchall())


def _write(cursor, table: _Table, rows: list[tuple]) -> None:
    if not rows:
        return
    cols = ", ".join(connection.ops.quote_name(c) for c in table.columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table.name)} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(table.columns))
        cursor.executemany(f"INSERT INTO {connection.ops.quote_name(table.name)} ({cols}) VALUES ({marks})", rows)  # noqa: S608 - the model's table and column names, quoted; rows are parameters


def _stamp(value: float | None):
    if value is None:
        return None
    dt = epoch_to_dt(value)
    if connection.vendor == "postgresql":
        return dt
    return str(dt.replace(tzinfo=None))  # Django's SQLite format: naive UTC text


def seed_tickets_bulk(ws: Workspace, planner: TicketPlanner, count: int, progress=None) -> dict:
    """Load `count` planned tickets with their messages and tags. Returns timings in seconds."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    arrivals = planner.arrival_times(count)
    first_number = counter_reserve(name="ticket", count=count)
    # Each loaded ticket takes one place in the /changes feed, in arrival order.
    first_change = counter_reserve(name=CHANGES_COUNTER, count=count)
    tag_names = {t for topic in P.TOPICS for t in topic["tags"]} | {"vip", "urgent-followup"}
    Tag.objects.bulk_create([Tag(name=n) for n in sorted(tag_names)], ignore_conflicts=True)
    tag_ids = dict(Tag.objects.values_list("name", "id"))
    through = Ticket.tags.through
    ticket_t = _Table(
        Ticket,
        {
            "id",
            "number",
            "subject",
            "status",
            "priority",
            "channel",
            "requester_id",
            "company_id",
            "assignee_id",
            "team_id",
            "product_area_id",
            "product_feature_id",
            "contact_reason_id",
            "language",
            "created_at",
            "updated_at",
            "first_response_at",
            "solved_at",
            "public_reply_count",
            "message_count",
            "change_seq",
            "priority_rank",
            "waiting_since",
            "last_customer_message_at",
            "last_message_preview",
            "last_message_direction",
            "last_message_author_id",
        },
    )
    message_t = _Table(
        Message,
        {
            "id",
            "ticket_id",
            "kind",
            "author_type",
            "author_user_id",
            "author_contact_id",
            "channel",
            "body_text",
            "body_html",
            "body_original",
            "created_at",
            "delivery_status",
            "external_message_id",
        },
    )
    tag_t = _Table(through, {"id", "ticket_id", "tag_id"})
    user_ids = {u: user.pk for u, user in ws.users.items()}
    team_ids = {slug: team.pk for slug, team in ws.teams.items()}
    features = {key: (f.pk, f.area_id) for key, f in ws.features.items()}
    reasons = {name: r.pk for name, r in ws.reasons.items()}
    next_ticket = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    next_message = (Message.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    next_tag = (through.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    rollup: Tally[RollupKey] = Tally()
    tables = [ticket_t.name, message_t.name, tag_t.name]
    pg = connection.vendor == "postgresql"

    indexes = _secondary_indexes(tables)
    with connection.cursor() as cursor:
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    timings["plan_and_load"] = 0.0
    load_started = time.monotonic()
    messages_written = 0
    try:
        for start in range(0, count, CHUNK):
            tickets, messages, tags = [], [], []
            for i, (at, lang) in enumerate(arrivals[start : start + CHUNK], start=start):
                plan = planner.plan(at, lang)
                feature = features[plan.topic["feature"]] if plan.topic["feature"] else (None, None)
                contact = plan.contact
                tid = next_ticket
                next_ticket += 1
                assignee = user_ids[plan.assignee] if plan.assignee else None
                replies = sum(1 for s in plan.steps if s.kind == "reply")
                # The queue columns the message services would have kept (tickets/services/tickets.py).
                waiting: float | None = plan.created
                last_customer, last_public = plan.created, None
                for step in plan.steps:
                    if step.kind == "customer":
                        waiting, last_customer, last_public = waiting or step.at, step.at, step
                    elif step.kind == "reply":
                        waiting, last_public = None, step
                agent_last = last_public is not None and last_public.kind == "reply"
                rollup[RollupKey(plan.status, team_ids[plan.team], assignee or NONE_KEY, plan.priority, False)] += 1
                bodies = sum(1 for s in plan.steps if s.kind != "close") + 1
                tickets.append(
                    ticket_t.row(
                        {
                            "id": tid,
                            "number": first_number + i,
                            "subject": plan.subject,
                            "status": plan.status,
                            "priority": plan.priority,
                            "channel": plan.channel,
                            "requester_id": contact.pk,
                            "company_id": contact.company_id,
                            "assignee_id": assignee,
                            "team_id": team_ids[plan.team],
                            "product_area_id": feature[1],
                            "product_feature_id": feature[0],
                            "contact_reason_id": reasons[plan.topic["reason"]],
                            "language": plan.language,
                            "created_at": _stamp(plan.created),
                            "updated_at": _stamp(plan.updated),
                            "first_response_at": _stamp(plan.first_response),
                            "solved_at": _stamp(plan.solved),
                            "public_reply_count": replies,
                            "message_count": bodies,
                            "change_seq": first_change + i,
                            "priority_rank": PRIORITY_RANK[plan.priority],
                            "waiting_since": _stamp(waiting),
                            "last_customer_message_at": _stamp(last_customer),
                            "last_message_preview": message_preview(last_public.body if last_public else plan.body),
                            "last_message_direction": "out" if agent_last else "in",
                            "last_message_author_id": (assignee or user_ids["agent"]) if agent_last else None,
                        }
                    )
                )
                messages.append(
                    message_t.row(
                        {
                            "id": next_message,
                            "ticket_id": tid,
                            "kind": "reply",
                            "author_type": "contact",
                            "author_user_id": None,
                            "author_contact_id": contact.pk,
                            "channel": plan.channel,
                            "body_text": plan.body,
                            "body_html": _html(plan.body),
                            "body_original": "",
                            "created_at": _stamp(plan.created),
                            "delivery_status": "",
                            "external_message_id": None,
                        }
                    )
                )
                next_message += 1
                for step in plan.steps:
                    if step.kind == "close":
                        continue
                    agent = step.kind != "customer"
                    messages.append(
                        message_t.row(
                            {
                                "id": next_message,
                                "ticket_id": tid,
                                "kind": "note" if step.kind == "note" else "reply",
                                "author_type": "agent" if agent else "contact",
                                "author_user_id": (assignee or user_ids["agent"]) if agent else None,
                                "author_contact_id": None if agent else contact.pk,
                                "channel": plan.channel,
                                "body_text": step.body,
                                "body_html": _html(step.body),
                                "body_original": "",
                                "created_at": _stamp(step.at),
                                "delivery_status": "sent" if step.kind == "reply" and plan.channel == "email" else "",
                                "external_message_id": None,
                            }
                        )
                    )
                    next_message += 1
                for name in plan.tags:
                    tags.append(tag_t.row({"id": next_tag, "ticket_id": tid, "tag_id": tag_ids[name]}))
                    next_tag += 1
            with transaction.atomic(), connection.cursor() as cursor:
                if pg:
                    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
                    if cursor.fetchone()[0]:
                        cursor.execute("SET LOCAL session_replication_role = replica")
                _write(cursor, ticket_t, tickets)
                _write(cursor, message_t, messages)
                _write(cursor, tag_t, tags)
            messages_written += len(messages)
            if progress:
                progress(min(start + CHUNK, count), messages_written)
    finally:
        timings["plan_and_load"] = time.monotonic() - load_started
        index_started = time.monotonic()
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)
            if pg:
                for table in (ticket_t, message_t, tag_t):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608 - the model's table name, quoted
                        f"(SELECT COALESCE(MAX(id), 1) FROM {connection.ops.quote_name(table.name)}))",
                        [table.name],
                    )
            cursor.execute(
                "ANALYZE" if not pg else f"ANALYZE {', '.join(connection.ops.quote_name(t) for t in tables)}"
            )
        timings["indexes_and_analyze"] = time.monotonic() - index_started
    with transaction.atomic():
        rollup_apply(rollup)  # TicketStatusCount is a view over it
    analytics_started = time.monotonic()
    analytics_rebuild()  # the dashboards' rollups, set-based (INSERT ... SELECT)
    timings["analytics_rebuild"] = time.monotonic() - analytics_started
    timings["total"] = time.monotonic() - started
    timings["messages"] = messages_written
    return timings
