"""The search query language: one parser from the text an agent types to a `Query` the engine runs.

    refund "double charge" -trial status:open assignee:me from:acme.com created:>2026-10-01 updated:<7d

What it knows: free words, "exact phrases", `-` to exclude a word, a phrase or a filter, and the filters in
FILTERS. What it refuses, always as `QueryError` naming the offending token (never another exception): an
unknown filter, a bad value or date, an unclosed quote, a NUL character, a query over MAX_QUERY_CHARS, too many
terms, and a query with nothing to search for. It does not touch the database: names in filter values
(usernames, tags, teams) are resolved by the engine (`search.engine`), which raises the same error type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from supportloop.core.errors import ValidationFailed

MAX_QUERY_CHARS = 500
MAX_TERMS = 32

# filter key -> allowed values (None: any non-empty value, checked by the engine)
STATUS_VALUES = ("new", "open", "pending", "on_hold", "solved", "closed", "active")
FEEDBACK_STATUS_VALUES = ("under_review", "planned", "in_progress", "shipped", "declined", "merged")
FILTERS: dict[str, tuple[str, ...] | None] = {
    "status": STATUS_VALUES + FEEDBACK_STATUS_VALUES,
    "assignee": None,  # me | none | <username>
    "team": None,
    "priority": ("low", "normal", "high", "urgent"),
    "from": None,  # an email address or a domain
    "company": None,
    "tag": None,
    "area": None,
    "feature": None,
    "reason": None,
    "channel": ("email", "web", "api", "phone"),
    "plan": ("free", "starter", "pro", "enterprise"),
    "lang": None,
    "created": None,  # dates, see _parse_date_filter
    "updated": None,
    "is": ("unassigned", "assigned", "active"),
    "has": ("attachment",),
}
DATE_FILTERS = ("created", "updated")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1), "m": timedelta(days=30)}
_DATE_RE = re.compile(r"^(>=|<=|>|<|=)?(?:(\d{4})-(\d{2})-(\d{2})|(\d{1,4})([hdwm]))$")
_KEY_RE = re.compile(r"^(-?)([A-Za-z_]+):(.*)$", re.DOTALL)
_VALUE_RE = re.compile(r"^[\w.@+\-]{1,254}$")
_WORD_CHAR_RE = re.compile(r"[^\W_]")  # a letter or a digit, in any script


class QueryError(ValidationFailed):
    """The query cannot be understood; `token` is the part of it to point at."""

    title = "Invalid search query"
    type_slug = "invalid-search-query"

    def __init__(self, detail: str, *, token: str = ""):
        super().__init__(detail, errors={"q": detail}, extra={"token": token})
        self.token = token


@dataclass(frozen=True)
class Term:
    """A free word or an exact phrase; `negated` excludes what matches it."""

    text: str
    phrase: bool = False
    negated: bool = False

    def __str__(self) -> str:
        body = f'"{self.text}"' if self.phrase else self.text
        return f"-{body}" if self.negated else body


@dataclass(frozen=True)
class Filter:
    """`key:value`. Date filters carry the bounds [start, end) they stand for (either may be None)."""

    key: str
    value: str
    negated: bool = False
    start: datetime | None = None
    end: datetime | None = None

    def __str__(self) -> str:
        value = f'"{self.value}"' if (" " in self.value or not self.value) else self.value
        return f"{'-' if self.negated else ''}{self.key}:{value}"


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...] = ()
    filters: tuple[Filter, ...] = ()
    raw: str = field(default="", compare=False)

    @property
    def words(self) -> list[Term]:
        return [t for t in self.terms if not t.negated]

    @property
    def excluded(self) -> list[Term]:
        return [t for t in self.terms if t.negated]

    def filters_named(self, key: str) -> list[Filter]:
        return [f for f in self.filters if f.key == key]

    def __str__(self) -> str:
        return " ".join([*(str(t) for t in self.terms), *(str(f) for f in self.filters)])


def _tokens(text: str, *, lenient: bool) -> list[tuple[str, bool]]:
    """Split on white space, keeping quoted runs together. Returns (token, closed) pairs: a token holding a
    quote that was never closed is refused, or closed at the end of the text when `lenient` (type-ahead)."""
    tokens: list[tuple[str, bool]] = []
    current: list[str] = []
    in_quote = False
    for ch in text:
        if ch == '"':
            in_quote = not in_quote
            current.append(ch)
        elif ch.isspace() and not in_quote:
            if current:
                tokens.append(("".join(current), True))
                current = []
        else:
            current.append(ch)
    if current:
        token = "".join(current)
        if in_quote:
            if not lenient:
                raise QueryError(f"The quote in {token} is not closed.", token=token)
            token += '"'
        tokens.append((token, True))
    return tokens


def _unquote(value: str, token: str) -> tuple[str, bool]:
    """'"a b"' -> ('a b', True); quotes inside a word (a"b"c) are refused: they mean nothing here."""
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        inner = value[1:-1]
        if '"' in inner:
            raise QueryError(f"Unexpected quote in {token}.", token=token)
        return inner, True
    if '"' in value:
        raise QueryError(f"Unexpected quote in {token}.", token=token)
    return value, False


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day), timezone.get_current_timezone())


def _parse_date_filter(key: str, value: str, token: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """`>2026-10-01` after that day, `<2026-10-01` before it, `2026-10-01` on it (workspace time zone);
    `<7d` less than 7 days ago, `>7d` more than 7 days ago (h, d, w, m = 30 days)."""
    match = _DATE_RE.match(value)
    if not match:
        raise QueryError(
            f"{token}: write a date as YYYY-MM-DD or an age such as 7d, with an optional > or <.", token=token
        )
    op, year, month, day, amount, unit = match.groups()
    op = op or "="
    if amount is not None:
        if op == "=":
            raise QueryError(f"{token}: an age needs > or <, e.g. {key}:<7d.", token=token)
        point = now - int(amount) * _UNITS[unit]
        # "<7d" is younger than seven days: the time is after the point.
        return (point, None) if op in ("<", "<=") else (None, point)
    try:
        start = _day_start(date(int(year), int(month), int(day)))
        next_day = _day_start(date(int(year), int(month), int(day)) + timedelta(days=1))
    except (ValueError, OverflowError):
        raise QueryError(f"{token}: {year}-{month}-{day} is not a date.", token=token) from None
    return {
        "=": (start, next_day),
        ">": (next_day, None),
        ">=": (start, None),
        "<": (None, start),
        "<=": (None, next_day),
    }[op]


def _parse_filter(negated: bool, key: str, raw_value: str, token: str, now: datetime) -> Filter:
    key = key.lower()
    if key not in FILTERS:
        known = ", ".join(f"{k}:" for k in FILTERS)
        raise QueryError(f"Unknown filter {key}: in {token}. Known filters: {known}", token=token)
    value, _quoted = _unquote(raw_value, token)
    value = value.strip()
    if not value:
        raise QueryError(f"The filter {key}: needs a value.", token=token)
    if key in DATE_FILTERS:
        start, end = _parse_date_filter(key, value, token, now)
        return Filter(key=key, value=value, negated=negated, start=start, end=end)
    allowed = FILTERS[key]
    if allowed is not None:
        value = value.lower()
        if value not in allowed:
            raise QueryError(f"{token}: {key}: takes one of {', '.join(allowed)}.", token=token)
    elif key not in ("company", "team") and not _VALUE_RE.match(value):
        raise QueryError(f"{token}: not a valid value for {key}:.", token=token)
    elif len(value) > 254:
        raise QueryError(f"{token}: the value is too long.", token=token)
    if key in ("from", "tag", "area", "feature", "reason", "lang"):
        value = value.lower()
    return Filter(key=key, value=value, negated=negated)


def parse(text: str, *, lenient: bool = False, now: datetime | None = None) -> Query:
    """Parse what was typed. `lenient` (type-ahead) closes an unclosed quote instead of refusing it.
    Raises QueryError and nothing else."""
    if not isinstance(text, str):
        raise QueryError("The query must be text.", token="")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"The query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}.", token=text[:20] + "…"
        )
    if "\x00" in text:
        raise QueryError("The query contains a NUL character.", token="\\x00")  # noqa: S106 - the token shown to the user, not a secret
    now = now or timezone.now()
    terms: list[Term] = []
    filters: list[Filter] = []
    for token, _closed in _tokens(text.strip(), lenient=lenient):
        key_match = _KEY_RE.match(token)
        # "https://…" and "10:30" stay words: a filter key is letters, and its value does not start with //.
        if key_match and not key_match.group(3).startswith("//"):
            negated, key, value = key_match.groups()
            filters.append(_parse_filter(bool(negated), key, value, token, now))
            continue
        negated = token.startswith("-") and len(token) > 1
        body = token[1:] if negated else token
        value, phrase = _unquote(body, token)
        value = " ".join(value.split())
        if not _WORD_CHAR_RE.search(value):
            continue  # punctuation alone (a lone -, %, _, an emoji) matches nothing: skipped, not an error
        terms.append(Term(text=value, phrase=phrase, negated=negated))
    if len(terms) + len(filters) > MAX_TERMS:
        raise QueryError(f"The query has more than {MAX_TERMS} words and filters.", token=text[:20] + "…")
    if not terms and not filters:
        raise QueryError("Type a word, a phrase or a filter to search for.", token=text.strip()[:20])
    if terms and not any(not t.negated for t in terms) and not filters:
        raise QueryError("A query cannot only exclude words: add a word or a filter.", token=str(terms[0]))
    return Query(terms=tuple(terms), filters=tuple(filters), raw=text)
