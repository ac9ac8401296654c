"""The search engine: the one module that writes the search index and builds search SQL.

PostgreSQL: a weighted tsvector per object in `search_searchdocument.vector` (title weight A, text B), GIN
indexed; the configuration follows the object's language (`russian` for ru, `english` otherwise: PostgreSQL's
russian configuration also stems Latin words with the English stemmer). Queries OR both configurations per word,
so a query matches whichever the document was stemmed with. Chinese and Japanese are segmented with jieba first
(search.text.segment), at indexing and at query time. Ranking: ts_rank_cd (the title's weight is the subject
boost), then the object's last change, then its id: a total order, so pages never repeat or skip a row.

SQLite: the FTS5 table `search_fts` holds the same text segmented and stemmed in Python (search.text); ranking
bm25 with the title column weighted 4, then the same tie-breakers.

Filters are ORM conditions on the real tables (tickets, contacts, companies, feedback items) and the text match
is limited to their ids, so a status change or a reassignment is visible to the next search with no reindexing.
The index rows themselves are written in the transaction of the service that changed the object (the
core.indexing hook registered in SearchConfig.ready()), or by `supportloop search_rebuild`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.safestring import SafeString

from supportloop.accounts.models import Team
from supportloop.accounts.permissions import require
from supportloop.core.indexing import COMPANY, CONTACT, FEEDBACK, KINDS, TICKET
from supportloop.customers.models import Company, CompanyDomain, Contact, ContactEmail
from supportloop.feedback.models import FeedbackItem
from supportloop.search import text as T
from supportloop.search.documents import BUILDERS, MODELS, Doc
from supportloop.search.models import SearchDocument
from supportloop.search.query import Filter, Query, QueryError, parse
from supportloop.tickets.choices import ACTIVE_STATUSES, Status
from supportloop.tickets.models import Attachment, ContactReason, ProductArea, ProductFeature, Tag, Ticket

PAGE_SIZE = 25
MAX_OFFSET = 1000  # deep pages of a ranked list are not useful; refine the query instead
# Type-ahead ranks the matches among this many most recently changed objects of a kind first (see _window_start).
TYPEAHEAD_WINDOW = 5000
VIEW_ACTION = {TICKET: "ticket.view", CONTACT: "customer.view", COMPANY: "customer.view", FEEDBACK: "feedback.view"}
PG_CONFIGS = ("english", "russian")
FTS_TITLE_WEIGHT = 4.0


def pg_config(language: str) -> str:
    return "russian" if (language or "").lower().startswith("ru") else "english"


def _postgres() -> bool:
    return connection.vendor == "postgresql"


# -- indexing -----------------------------------------------------------------------------------------------------


def index_objects(kind: str, ids: list[int]) -> int:
    """Bring the index rows of these objects up to date (deleting those whose object is gone). Returns rows written.
    Runs in the caller's transaction."""
    docs = BUILDERS[kind](ids)
    found = {d.object_id for d in docs}
    gone = [i for i in ids if i not in found]
    if gone:
        _delete(kind, gone)
    if docs:
        _write(kind, docs)
    return len(docs)


def _delete(kind: str, ids: list[int]) -> None:
    rows = SearchDocument.objects.filter(kind=kind, object_id__in=ids)
    if not _postgres():
        doc_ids = list(rows.values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", [(i,) for i in doc_ids])
    rows.delete()


WRITE_CHUNK = 500  # rows per statement: 7 parameters each stays under SQLite's 32,766 (and PostgreSQL's 65,535)


def _write(kind: str, docs: list[Doc]) -> None:
    """Upsert the rows, one multi-row INSERT ... ON CONFLICT per chunk (the vector computed in it on PostgreSQL),
    then on SQLite replace their FTS5 rows: a fixed number of statements whatever the batch size (mail ingest)."""
    postgres = _postgres()
    vector = (
        "setweight(to_tsvector(%s::regconfig, %s), 'A') || setweight(to_tsvector(%s::regconfig, %s), 'B')"
        if postgres
        else "NULL"
    )
    for start in range(0, len(docs), WRITE_CHUNK):
        chunk = docs[start : start + WRITE_CHUNK]
        values: list[str] = []
        params: list[Any] = []
        for d in chunk:
            language, body = d.language[:10], d.body[: T.MAX_INDEXED_CHARS]
            values.append(f"(%s, %s, %s, %s, %s, %s, {vector})")
            params += [kind, d.object_id, language, d.title, body, d.sort_at]
            if postgres:
                config = pg_config(language)
                params += [config, T.segment(d.title), config, T.segment(body)]
        sql = (
            "INSERT INTO search_searchdocument (kind, object_id, language, title, body, sort_at, vector) "  # noqa: S608 - placeholders only
            f"VALUES {', '.join(values)} "
            "ON CONFLICT (kind, object_id) DO UPDATE SET language = EXCLUDED.language, title = EXCLUDED.title, "
            "body = EXCLUDED.body, sort_at = EXCLUDED.sort_at, vector = EXCLUDED.vector RETURNING id, object_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row_ids = {object_id: pk for pk, object_id in cursor.fetchall()}
            if not postgres:
                cursor.executemany(
                    "INSERT OR REPLACE INTO search_fts (rowid, title, body) VALUES (%s, %s, %s)",
                    [
                        (row_ids[d.object_id], " ".join(T.stemmed_words(d.title)), " ".join(T.stemmed_words(d.body)))
                        for d in chunk
                    ],
                )


def purge_deleted_text() -> None:
    """Make replaced and deleted index text unreadable at once (an erasure needs it): SQLite's FTS5 keeps old
    terms in its segment table until a merge, so merge everything now ('optimize'). PostgreSQL rewrites the
    row's vector in place (the old tuple is gone from reads; VACUUM reclaims it)."""
    if not _postgres():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES('optimize')")


ORPHAN_BATCH = 5000


def orphans_delete(kind: str, *, batch: int = ORPHAN_BATCH, progress: Callable[[int, int], None] | None = None) -> int:
    """Delete the index rows of `kind` whose object no longer exists (deleted outside the services, e.g. by hand
    or by a restore), walking the rows by object id in batches of `batch`, each batch its own transaction.
    Returns how many were deleted; `progress(rows seen, deleted)` after every batch."""
    model = MODELS[kind]
    last, seen, deleted = -1, 0, 0
    while True:
        ids = list(
            SearchDocument.objects.filter(kind=kind, object_id__gt=last)
            .order_by("object_id")
            .values_list("object_id", flat=True)[:batch]
        )
        if not ids:
            return deleted
        existing = set(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))
        gone = [i for i in ids if i not in existing]
        if gone:
            with transaction.atomic():
                _delete(kind, gone)
        seen, deleted, last = seen + len(ids), deleted + len(gone), ids[-1]
        if progress is not None:
            progress(seen, deleted)


def analyze_index() -> None:
    """Refresh the planner's statistics of the index table after a bulk (re)build. Without them PostgreSQL may
    believe the table nearly empty and scan every row of a kind instead of using the GIN index."""
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_searchdocument")


def on_index_changed(kind: str, ids: list[int]) -> None:
    """The core.indexing listener (registered in SearchConfig.ready())."""
    index_objects(kind, ids)


# -- filters ------------------------------------------------------------------------------------------------------


def _missing(what: str, f: Filter) -> QueryError:
    return QueryError(f"No {what} matches {f}.", token=str(f))


def _not_for(kind: str, f: Filter) -> QueryError:
    return QueryError(f"The filter {f.key}: does not apply to {kind} results.", token=str(f))


def _date_q(field_name: str, f: Filter) -> Q:
    q = Q()
    if f.start is not None:
        q &= Q(**{f"{field_name}__gte": f.start})
    if f.end is not None:
        q &= Q(**{f"{field_name}__lt": f.end})
    return q


def _from_contacts(f: Filter) -> QuerySet:
    if "@" in f.value:
        return ContactEmail.objects.filter(email=f.value).values("contact_id")
    return ContactEmail.objects.filter(email__endswith="@" + f.value.lstrip("@")).values("contact_id")


def _company_ids(f: Filter) -> list[int]:
    ids = list(
        Company.objects.filter(
            Q(name__iexact=f.value)
            | Q(pk__in=CompanyDomain.objects.filter(domain=f.value.lower()).values("company_id"))
        ).values_list("pk", flat=True)
    )
    if not ids:
        raise _missing("company", f)
    return ids


def _slug(model, f: Filter, what: str) -> int:
    pk = model.objects.filter(slug=f.value).values_list("pk", flat=True).first()
    if pk is None:
        raise _missing(what, f)
    return pk


def _ticket_q(f: Filter, user) -> Q:
    key, value = f.key, f.value
    if key == "status":
        if value == "active":
            return Q(status__in=ACTIVE_STATUSES)
        if value not in Status.values:
            raise QueryError(f"{f}: tickets have no status {value}.", token=str(f))
        return Q(status=value)
    if key == "assignee":
        if value == "me":
            return Q(assignee_id=user.pk)
        if value == "none":
            return Q(assignee__isnull=True)
        pk = get_user_model().objects.filter(username__iexact=value).values_list("pk", flat=True).first()
        if pk is None:
            raise _missing("user", f)
        return Q(assignee_id=pk)
    if key == "team":
        pk = Team.objects.filter(Q(slug__iexact=value) | Q(name__iexact=value)).values_list("pk", flat=True).first()
        if pk is None:
            raise _missing("team", f)
        return Q(team_id=pk)
    if key in ("priority", "channel"):
        return Q(**{key: value})
    if key == "from":
        return Q(requester_id__in=_from_contacts(f))
    if key == "company":
        return Q(company_id__in=_company_ids(f))
    if key == "tag":
        pk = Tag.objects.filter(name=value).values_list("pk", flat=True).first()
        if pk is None:
            raise _missing("tag", f)
        return Q(pk__in=Ticket.tags.through.objects.filter(tag_id=pk).values("ticket_id"))
    if key == "area":
        return Q(product_area_id=_slug(ProductArea, f, "product area"))
    if key == "feature":
        return Q(product_feature_id=_slug(ProductFeature, f, "product feature"))
    if key == "reason":
        return Q(contact_reason_id=_slug(ContactReason, f, "contact reason"))
    if key == "plan":
        return Q(company__plan=value)
    if key == "lang":
        return Q(language__iexact=value) | Q(language__istartswith=value + "-")
    if key in ("created", "updated"):
        return _date_q(f"{key}_at", f)
    if key == "is":
        return {
            "unassigned": Q(assignee__isnull=True),
            "assigned": Q(assignee__isnull=False),
            "active": Q(status__in=ACTIVE_STATUSES),
        }[value]
    if key == "has":
        return Q(Exists(Attachment.objects.filter(message__ticket_id=OuterRef("pk"))))
    raise _not_for("ticket", f)


def _contact_q(f: Filter, user) -> Q:
    if f.key == "from":
        return Q(pk__in=_from_contacts(f))
    if f.key == "company":
        return Q(company_id__in=_company_ids(f))
    if f.key == "plan":
        return Q(company__plan=f.value)
    if f.key == "lang":
        return Q(language__iexact=f.value) | Q(language__istartswith=f.value + "-")
    if f.key in ("created", "updated"):
        return _date_q(f"{f.key}_at", f)
    raise _not_for("contact", f)


def _company_q(f: Filter, user) -> Q:
    if f.key == "plan":
        return Q(plan=f.value)
    if f.key == "from":
        return Q(pk__in=CompanyDomain.objects.filter(domain=f.value.rsplit("@", 1)[-1]).values("company_id"))
    if f.key in ("created", "updated"):
        return _date_q(f"{f.key}_at", f)
    raise _not_for("company", f)


def _feedback_q(f: Filter, user) -> Q:
    from supportloop.feedback.choices import ItemStatus

    if f.key == "status":
        if f.value not in ItemStatus.values:
            raise QueryError(f"{f}: feedback items have no status {f.value}.", token=str(f))
        return Q(status=f.value)
    if f.key == "area":
        return Q(product_area_id=_slug(ProductArea, f, "product area"))
    if f.key == "feature":
        return Q(product_feature_id=_slug(ProductFeature, f, "product feature"))
    if f.key in ("created", "updated"):
        return _date_q(f"{f.key}_at", f)
    raise _not_for("feedback", f)


FILTER_BUILDERS: dict[str, Callable[[Filter, object], Q]] = {
    TICKET: _ticket_q,
    CONTACT: _contact_q,
    COMPANY: _company_q,
    FEEDBACK: _feedback_q,
}


def filtered(kind: str, query: Query, user) -> QuerySet | None:
    """The kind's rows the query's filters allow, or None when it has no filters."""
    if not query.filters:
        return None
    conditions = Q()
    for f in query.filters:
        q = FILTER_BUILDERS[kind](f, user)
        conditions &= ~q if f.negated else q
    return MODELS[kind]._default_manager.filter(conditions)


# -- text match ---------------------------------------------------------------------------------------------------


def _pg_term(term_text: str, *, phrase: bool) -> tuple[str, list]:
    fn = "phraseto_tsquery" if phrase else "plainto_tsquery"
    seg = T.segment(term_text)
    return "(" + " || ".join(f"{fn}('{c}', %s)" for c in PG_CONFIGS) + ")", [seg] * len(PG_CONFIGS)


def _pg_tsquery(query: Query, *, prefix: bool) -> tuple[str, list] | None:
    positives, params = [], []
    words = query.words
    for n, term in enumerate(words):
        sql, p = _pg_term(term.text, phrase=term.phrase)
        if prefix and n == len(words) - 1 and not term.phrase:
            last = T.plain_words(term.text)
            if last:
                # What is being typed: the last word as a prefix too ("expo" finds "export"); not when both
                # configurations drop it as a stop word ("Export all"), as no stemmed vector holds those.
                stop = " + ".join(f"numnode(plainto_tsquery('{c}', %s))" for c in PG_CONFIGS)
                sql = (
                    f"({sql} || CASE WHEN {stop} = 0 THEN ''::tsquery "
                    "ELSE to_tsquery('simple', quote_literal(%s) || ':*') END)"
                )
                p = [*p, *[last[-1]] * len(PG_CONFIGS), last[-1]]
        positives.append(sql)
        params += p
    if not positives:
        return None
    expr = " && ".join(positives)
    for term in query.excluded:
        sql, p = _pg_term(term.text, phrase=term.phrase)
        expr = f"({expr}) && !!{sql}"
        params += p
    return expr, params


def _fts_string(words: list[str]) -> str:
    return '"' + " ".join(words).replace('"', '""') + '"'


def _fts_term(term_text: str, *, phrase: bool, prefix: bool = False) -> str | None:
    words = T.stemmed_words(term_text)
    if not words:
        return None
    if phrase:
        return _fts_string(words)
    parts = [_fts_string([w]) for w in words]
    if prefix:
        plain = T.plain_words(term_text)[-1]
        parts[-1] = f"({parts[-1]} OR {_fts_string([plain])}*)"
    return "(" + " AND ".join(parts) + ")"


def _fts_match(query: Query, *, prefix: bool) -> str | None:
    words = query.words
    positives = []
    for n, term in enumerate(words):
        expr = _fts_term(term.text, phrase=term.phrase, prefix=prefix and n == len(words) - 1 and not term.phrase)
        if expr:
            positives.append(expr)
    if not positives:
        return None
    expr = " AND ".join(positives)
    for term in query.excluded:
        excluded = _fts_term(term.text, phrase=term.phrase)
        if excluded:
            expr = f"({expr}) NOT {excluded}"
    return expr


@dataclass
class Hit:
    kind: str
    object_id: int
    rank: float
    title: str = ""
    excerpt: SafeString | str = ""
    obj: Any = None  # the Ticket, Contact, Company or FeedbackItem the hit is about


@dataclass
class Page:
    kind: str
    hits: list[Hit] = field(default_factory=list)
    next_cursor: str | None = None


INFIX_KINDS = (CONTACT, COMPANY)
INFIX_MIN_CHARS = 3  # trigrams: shorter fragments cannot use the index


def _infix_pattern(kind: str, query: Query) -> str | None:
    """For names, addresses and domains: the typed words as a LIKE pattern matching anywhere in them ("arenin",
    "acme.exa"), served by the trigram index on PostgreSQL. Only for plain words without exclusions."""
    if kind not in INFIX_KINDS or query.excluded or any(t.phrase for t in query.words):
        return None
    text = " ".join(t.text for t in query.words).lower()
    if len(text) < INFIX_MIN_CHARS:
        return None
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


ORDERS = ("relevance", "updated", "created")


def _order_sql(kind: str, order: str, rank_order: str) -> str:
    """ORDER BY of the ranked statements: relevance (then the last change, then the id: a total order), the last
    change (the index row's sort_at is the object's updated_at), or creation (read from the object's own table
    by primary key, for the matches only)."""
    if order == "updated":
        return "ORDER BY d.sort_at DESC, d.object_id DESC"
    if order == "created":
        table = connection.ops.quote_name(MODELS[kind]._meta.db_table)
        return f"ORDER BY (SELECT o.created_at FROM {table} o WHERE o.id = d.object_id) DESC, d.object_id DESC"  # noqa: S608 - a table name from our models
    return f"ORDER BY {rank_order}, d.sort_at DESC, d.object_id DESC"


def _ranked_ids(
    kind: str,
    query: Query,
    rows: QuerySet | None,
    *,
    offset: int,
    limit: int,
    prefix: bool,
    order: str = "relevance",
    changed_since=None,
    changed_before=None,
):
    """[(object_id, rank)] for the text part of the query, limited to `rows` (the filters) and to objects last
    changed in [changed_since, changed_before) when given, best first (or in `order`). Contacts and companies also
    match a fragment of a name, address or domain (rank 0: after every word match)."""
    where, params = "", []
    if rows is not None:
        sub_sql, sub_params = rows.order_by().values("pk").query.sql_with_params()  # no ORDER BY: it can be flattened
        where, params = f" AND d.object_id IN ({sub_sql})", list(sub_params)
    # Adapted as the ORM stores them (SQLite keeps naive UTC text: a raw aware datetime would compare as other text).
    if changed_since is not None:
        where, params = (
            f"{where} AND d.sort_at >= %s",
            [*params, connection.ops.adapt_datetimefield_value(changed_since)],
        )
    if changed_before is not None:
        where, params = (
            f"{where} AND d.sort_at < %s",
            [*params, connection.ops.adapt_datetimefield_value(changed_before)],
        )
    infix = _infix_pattern(kind, query)
    if _postgres():
        built = _pg_tsquery(query, prefix=prefix)
        if built is None:
            return []
        expr, expr_params = built
        match_sql, match_params = "d.vector @@ q.q", []
        if infix:
            match_sql = "(d.vector @@ q.q OR (d.title || ' ' || d.body) ILIKE %s)"
            match_params = [infix]
        sql = (
            "SELECT d.object_id, ts_rank_cd(d.vector, q.q) AS rank "  # noqa: S608 - expr and where are built here from constants; values are parameters
            f"FROM search_searchdocument d CROSS JOIN (SELECT {expr} AS q) q "
            f"WHERE d.kind = %s AND {match_sql}{where} "
            f"{_order_sql(kind, order, 'rank DESC')} LIMIT %s OFFSET %s"
        )
        all_params = [*expr_params, kind, *match_params, *params, limit, offset]
    else:
        match = _fts_match(query, prefix=prefix)
        order_by = " " + _order_sql(kind, order, "rank").replace("d.", "") + " LIMIT %s OFFSET %s"
        words_sql = (
            f"SELECT d.object_id, bm25(search_fts, {FTS_TITLE_WEIGHT}, 1.0) AS rank, d.sort_at "  # noqa: S608 - constants only
            "FROM search_fts JOIN search_searchdocument d ON d.id = search_fts.rowid "
            f"WHERE search_fts MATCH %s AND d.kind = %s{where}"
        )
        fragment_sql = (
            "SELECT d.object_id, 0.0 AS rank, d.sort_at FROM search_searchdocument d "  # noqa: S608 - constants only
            f"WHERE d.kind = %s AND lower(d.title || ' ' || d.body) LIKE %s ESCAPE '\\'{where}"
        )
        if match is not None and not infix:
            sql, all_params = words_sql + order_by, [match, kind, *params, limit, offset]
        elif match is None and infix:
            sql, all_params = fragment_sql + order_by, [kind, infix, *params, limit, offset]
        elif match is not None:
            # bm25 may not run inside an aggregate: materialise the word matches first. bm25 is negative and
            # better when lower, so a fragment-only match (0.0) comes after every word match.
            sql = (
                f"WITH w AS MATERIALIZED ({words_sql}) "  # noqa: S608 - constants only
                f"SELECT object_id, MIN(rank) AS rank, sort_at FROM (SELECT * FROM w UNION ALL {fragment_sql}) AS m "
                "GROUP BY object_id, sort_at" + order_by
            )
            all_params = [match, kind, *params, kind, infix, *params, limit, offset]
        else:
            return []
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def ranked_sql_for_explain(kind: str, query: Query) -> tuple[str, list]:
    """The PostgreSQL statement `search` runs for `query` without filters (for the EXPLAIN test)."""
    built = _pg_tsquery(query, prefix=False)
    if built is None:
        raise ValueError("The query has no words to match.")
    expr, params = built
    return (
        "SELECT d.object_id, ts_rank_cd(d.vector, q.q) AS rank "  # noqa: S608 - built from constants
        f"FROM search_searchdocument d CROSS JOIN (SELECT {expr} AS q) q "
        "WHERE d.kind = %s AND d.vector @@ q.q ORDER BY rank DESC, d.sort_at DESC, d.object_id DESC LIMIT 25",
        [*params, kind],
    )


# -- the public interface -----------------------------------------------------------------------------------------


def cursor_encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        offset = int(raw[1:]) if raw.startswith("o") and raw[1:].isdigit() else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
    if not 0 <= offset <= MAX_OFFSET:
        raise QueryError("The cursor is not one this search returned.", token=cursor[:40])
    return offset


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise QueryError(f"Unknown type {kind!r}: one of {', '.join(KINDS)}.", token=str(kind)[:40])


def search(
    *,
    user,
    q: str | Query,
    kind: str = TICKET,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    prefix: bool = False,
    order: str = "relevance",
) -> Page:
    """One page of `kind` results for the query, best first (or `order`: "updated", the last change first;
    "created", the newest first), with excerpts. Checks the user's role may see them.
    Raises QueryError (a bad query, filter, name, order or cursor) or PermissionDenied."""
    _check_kind(kind)
    if order not in ORDERS:
        raise QueryError(f"Unknown order {order!r}: one of {', '.join(ORDERS)}.", token=str(order)[:40])
    require(user, VIEW_ACTION[kind])
    query = q if isinstance(q, Query) else parse(q, lenient=prefix)
    offset = cursor_decode(cursor)
    rows = filtered(kind, query, user)
    window_start = _window_start(kind) if prefix and order == "relevance" and offset == 0 else None
    if query.words and window_start is not None:
        # A short prefix ("ques", 6% of a million tickets) matches too much to rank whole: rank the recent
        # window, and look further back only when the window has too few matches (then there are few anyway).
        ranked: list[tuple[int, float]] = _ranked_ids(
            kind, query, rows, offset=0, limit=limit + 1, prefix=True, changed_since=window_start
        )
        if len(ranked) <= limit:
            ranked += _ranked_ids(
                kind, query, rows, offset=0, limit=limit + 1 - len(ranked), prefix=True, changed_before=window_start
            )
    elif query.words:
        ranked = _ranked_ids(kind, query, rows, offset=offset, limit=limit + 1, prefix=prefix, order=order)
    elif rows is None:  # neither words nor filters: nothing to look for
        ranked = []
    else:
        # Filters alone: the most recently changed first, straight from the table's own indexes.
        ranked = [
            (pk, 0.0)
            for pk in rows.order_by("-created_at" if order == "created" else "-updated_at", "-pk").values_list(
                "pk", flat=True
            )[offset : offset + limit + 1]
        ]
    more = len(ranked) > limit
    ranked = ranked[:limit]
    hits = _hydrate(kind, ranked, query)
    next_offset = offset + limit
    return Page(
        kind=kind, hits=hits, next_cursor=cursor_encode(next_offset) if more and next_offset <= MAX_OFFSET else None
    )


def _window_start(kind: str):
    """When `kind` has more than TYPEAHEAD_WINDOW index rows, the last-change time of the TYPEAHEAD_WINDOW-th most
    recent (an index-only scan of the window), else None. Read each time rather than cached, so it is never stale;
    passed as a value, not a subquery, so the planner estimates the window's size and scans it by its index."""
    starts = list(
        SearchDocument.objects.filter(kind=kind)
        .order_by("-sort_at")
        .values_list("sort_at", flat=True)[TYPEAHEAD_WINDOW - 1 : TYPEAHEAD_WINDOW + 1]
    )
    return starts[0] if len(starts) == 2 else None


MATCH_LIMIT = 1000  # ids a saved search or a ranking filter narrows to: the best matches, bounded


def matching_ids(*, kind: str, q: str | Query, user=None, limit: int = MATCH_LIMIT, lenient: bool = False) -> list[int]:
    """The ids of the best `limit` matches of `kind` for the query (its filters applied), best first, without
    excerpts: for pages that filter and sort the matches themselves (a saved search in the inbox, the feedback
    ranking). The caller checks the user may see `kind`; `user` is needed only for `assignee:me`.
    Raises QueryError."""
    _check_kind(kind)
    query = q if isinstance(q, Query) else parse(q, lenient=lenient)
    rows = filtered(kind, query, user)
    if query.words:
        return [pk for pk, _rank in _ranked_ids(kind, query, rows, offset=0, limit=limit, prefix=False)]
    if rows is None:
        return []
    return list(rows.order_by("-updated_at", "-pk").values_list("pk", flat=True)[:limit])


def text_match_ids(kind: str, text: str) -> list[int]:
    """The core.indexing matcher: `matching_ids` for a lower app's search box, parsed leniently (an unclosed
    quote is closed). A query the language refuses raises QueryError, a core ValidationFailed naming `q`."""
    return matching_ids(kind=kind, q=text, lenient=True)


def _hydrate(kind: str, ranked: list[tuple[int, float]], query: Query) -> list[Hit]:
    ids = [pk for pk, _rank in ranked]
    if not ids:
        return []
    docs = {
        d["object_id"]: d
        for d in SearchDocument.objects.filter(kind=kind, object_id__in=ids).values("object_id", "title", "body")
    }
    objects = _objects(kind, ids)
    terms = [t.text for t in query.words]
    hits = []
    for pk, rank in ranked:
        obj = objects.get(pk)
        if obj is None:
            continue
        doc = docs.get(pk, {"title": str(obj), "body": ""})
        excerpt = T.highlight(doc["body"], terms) if terms and doc["body"] else ""
        hits.append(Hit(kind=kind, object_id=pk, rank=rank, title=doc["title"], excerpt=excerpt, obj=obj))
    return hits


def _objects(kind: str, ids: list[int]) -> dict[int, Any]:
    qs: QuerySet[Any]
    if kind == TICKET:
        qs = Ticket.objects.select_related("requester", "assignee", "company", "team")
    elif kind == CONTACT:
        qs = Contact.objects.select_related("company").prefetch_related("emails")
    elif kind == COMPANY:
        qs = Company.objects.all()
    else:
        qs = FeedbackItem.objects.all()
    return qs.in_bulk(ids)


def typeahead(*, user, q: str, per_kind: int = 5) -> dict[str, list[Hit]]:
    """The top `per_kind` results of every kind the user may see, for the header box (the last word a prefix)."""
    from supportloop.accounts.permissions import can

    query = parse(q, lenient=True)
    return {
        kind: search(user=user, q=query, kind=kind, limit=per_kind, prefix=True).hits
        for kind in KINDS
        if can(user, VIEW_ACTION[kind])
    }


FEEDBACK_REFERENCE_RE = re.compile(r"^(?:FB-?)?(\d{1,9})$", re.IGNORECASE)


def feedback_typeahead(*, user, q: str, limit: int = 10, exclude_id: int | None = None) -> list[FeedbackItem]:
    """Feedback items for a picker (link a ticket's quote, merge a duplicate): the engine's ranked match over the
    title, problem, solution and evidence quotes, the last word a prefix, so "CSV export" finds "Exporting to CSV"
    and "expo" finds it too. A reference (FB-12 or 12) puts that item first. Merged items are left out: evidence
    must land on the item they were merged into. Raises QueryError for a query it cannot read."""
    text = (q or "").strip()
    if not text:
        return []
    from supportloop.feedback.choices import ItemStatus

    require(user, VIEW_ACTION[FEEDBACK])
    query = parse(text, lenient=True)
    not_merged = Filter(key="status", value=ItemStatus.MERGED, negated=True)
    query = Query(terms=query.terms, filters=(*query.filters, not_merged), raw=query.raw)
    items: list[FeedbackItem] = []
    reference = FEEDBACK_REFERENCE_RE.match(text)
    if reference:
        items += FeedbackItem.objects.exclude(status=ItemStatus.MERGED).filter(pk=int(reference.group(1)))
    hits = search(user=user, q=query, kind=FEEDBACK, limit=limit + 2, prefix=True).hits
    items += [h.obj for h in hits if not items or h.object_id != items[0].pk]
    return [i for i in items if i.pk != exclude_id][:limit]


_NUMBER_RE = re.compile(r"^#?(\d{1,15})$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def jump_target(*, user, q: str) -> tuple[str, int] | None:
    """A query that names one thing: `#1234` or `1234` -> ("ticket", number) if that ticket exists; an exact
    email -> ("contact", id). None otherwise."""
    from supportloop.accounts.permissions import can

    text = (q or "").strip()
    number = _NUMBER_RE.match(text)
    if number and can(user, "ticket.view"):
        value = int(number.group(1))
        if Ticket.objects.filter(number=value).exists():
            return TICKET, value
    if _EMAIL_RE.match(text) and can(user, "customer.view"):
        contact_id = ContactEmail.objects.filter(email=text.lower()).values_list("contact_id", flat=True).first()
        if contact_id is not None:
            return CONTACT, contact_id
    return None
