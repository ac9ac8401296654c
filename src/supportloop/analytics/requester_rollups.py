"""Contacts per customer without a distinct count: RequesterLastTicket holds when each requester last opened a ticket,
over all their tickets and per channel, product area and contact reason (a "chain": the tickets one filter keeps).

The requesters with a ticket in [start, end) are those whose last ticket is at or after `start`, as long as no ticket
was created at or after `end`: for a period that runs to now (the dashboards' default) that is a count over an index
range. ticket_fact_refresh keeps it: a new ticket is one upsert that keeps the later time (the cheap, common case);
a ticket that leaves a chain (another product area, requester, creation time; deleted) has that chain recomputed
from the requester's tickets (their index on requester) under a row lock. `requester_last_rebuild` fills it from the
facts, set-based (part of analytics_rebuild).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Max

from supportloop.analytics.models import RequesterLastTicket, TicketFact
from supportloop.tickets.models import Ticket

Chain = tuple[str, str]  # (dimension, key) as in HourlyDimensionVolume


def chains_of(fact: TicketFact) -> list[Chain]:
    """The chains a fact is in, always in this order (one lock order for every refresh)."""
    return [
        ("all", ""),
        ("channel", fact.channel),
        ("product_area", str(fact.product_area_id_key)),
        ("contact_reason", str(fact.contact_reason_id_key)),
    ]


def _ticket_filter(dimension: str, key: str) -> dict[str, Any]:
    if dimension == "channel":
        return {"channel": key}
    if dimension in ("product_area", "contact_reason"):
        return {f"{dimension}_id": int(key)} if int(key) else {f"{dimension}__isnull": True}
    return {}


def requester_last_add(*, requester: int, created_at: datetime, chains: list[Chain]) -> None:
    """One statement: each chain's row of the requester, created or moved to `created_at` if that is later."""
    if not chains:
        return
    quote = connection.ops.quote_name
    table = quote(RequesterLastTicket._meta.db_table)
    later = "GREATEST" if connection.vendor == "postgresql" else "MAX"  # SQLite's two-argument MAX is scalar
    moment = connection.ops.adapt_datetimefield_value(created_at)
    columns = ", ".join(quote(c) for c in ("dimension", "key", "requester_key", "last_created_at"))
    last = quote("last_created_at")
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join(['(%s, %s, %s, %s)'] * len(chains))} "  # noqa: S608
        f"ON CONFLICT ({quote('dimension')}, {quote('key')}, {quote('requester_key')}) "
        f"DO UPDATE SET {last} = {later}({table}.{last}, excluded.{last})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for d, k in chains for value in (d, k, requester, moment)])


def requester_last_recompute(*, requester: int, chains: list[Chain]) -> None:
    """Each chain's row of the requester set to their latest ticket in it now, or deleted when none is left. The row
    is locked before the tickets are read, so a concurrent add waits and then keeps the later time."""
    for dimension, key in chains:
        rows = RequesterLastTicket.objects.filter(dimension=dimension, key=key, requester_key=requester)
        list(rows.select_for_update().values_list("pk", flat=True))
        tickets = Ticket.objects.filter(requester_id=requester, **_ticket_filter(dimension, key))
        last = tickets.aggregate(last=Max("created_at"))["last"]
        if last is None:
            rows.delete()
        elif not rows.update(last_created_at=last):
            requester_last_add(requester=requester, created_at=last, chains=[(dimension, key)])


def requester_last_move(old: TicketFact | None, new: TicketFact | None) -> None:
    """After one ticket's fact changed from `old` to `new` (None: none before / the ticket is gone). Rows are locked
    in one order for every refresh (chain position, key, requester), so two refreshes of one requester's tickets
    cannot deadlock."""
    if old is None:
        if new is not None:
            requester_last_add(requester=new.requester_id_key, created_at=new.created_at, chains=chains_of(new))
        return
    steps: list[tuple[int, str, int, bool, datetime]] = []  # (position, key, requester, recompute?, created_at)
    old_chains = chains_of(old)
    if new is None or (old.requester_id_key, old.created_at) != (new.requester_id_key, new.created_at):
        steps += [(i, k, old.requester_id_key, True, old.created_at) for i, (_d, k) in enumerate(old_chains)]
        if new is not None:
            steps += [(i, k, new.requester_id_key, False, new.created_at) for i, (_d, k) in enumerate(chains_of(new))]
    else:
        new_chains = chains_of(new)
        for i, (old_chain, new_chain) in enumerate(zip(old_chains, new_chains, strict=True)):
            if old_chain != new_chain:
                steps.append((i, old_chain[1], old.requester_id_key, True, old.created_at))
                steps.append((i, new_chain[1], new.requester_id_key, False, new.created_at))
    dimensions = [d for d, _k in old_chains]
    for position, key, requester, recompute, created_at in sorted(steps):
        chain = [(dimensions[position], key)]
        if recompute:
            requester_last_recompute(requester=requester, chains=chain)
        else:
            requester_last_add(requester=requester, created_at=created_at, chains=chain)


def requester_last_rebuild() -> int:
    """RequesterLastTicket from the facts (one INSERT ... SELECT per dimension); the number of rows."""
    RequesterLastTicket.objects.all().delete()
    quote = connection.ops.quote_name
    facts = quote(TicketFact._meta.db_table)
    selects = [
        f"SELECT 'all', '', requester_id_key, MAX(created_at) FROM {facts} GROUP BY requester_id_key",  # noqa: S608
        f"SELECT 'channel', channel, requester_id_key, MAX(created_at) FROM {facts} "  # noqa: S608
        "GROUP BY channel, requester_id_key",
    ]
    for dimension, column in (("product_area", "product_area_id_key"), ("contact_reason", "contact_reason_id_key")):
        selects.append(
            f"SELECT '{dimension}', CAST({column} AS VARCHAR(32)), requester_id_key, MAX(created_at) "  # noqa: S608
            f"FROM {facts} GROUP BY {column}, requester_id_key"
        )
    columns = ", ".join(quote(c) for c in ("dimension", "key", "requester_key", "last_created_at"))
    with connection.cursor() as cursor:
        for select in selects:
            cursor.execute(f"INSERT INTO {quote(RequesterLastTicket._meta.db_table)} ({columns}) {select}")
    return RequesterLastTicket.objects.count()
