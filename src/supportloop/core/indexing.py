"""The hook that keeps derived indexes (the search index) current with the rows services write.

A service that changes what a ticket, contact, company or feedback item reads like calls
`index_changed(kind, ids)` inside its transaction, after its writes. The search app registers its indexer from
`AppConfig.ready()`, so the lower apps never import it; with nothing registered the call does nothing.
Indexers run in the caller's transaction: the index commits or rolls back with the change itself.

The other way round, a lower app's selector that takes a search box's text (the feedback ranking's `q`) asks
`text_matches(kind, text)` for the ids the search engine matches, so it searches the way the search page does
("CSV export" finds "Exporting to CSV") without importing the engine; None when no engine is registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

TICKET = "ticket"
CONTACT = "contact"
COMPANY = "company"
FEEDBACK = "feedback"
KINDS = (TICKET, CONTACT, COMPANY, FEEDBACK)

indexers: list[Callable[[str, list[int]], None]] = []


def register_indexer(indexer: Callable[[str, list[int]], None]) -> None:
    if indexer not in indexers:
        indexers.append(indexer)


def index_changed(kind: str, ids: Iterable[int]) -> None:
    """Rows of `kind` with these ids were created, changed or deleted: bring their index entries up to date."""
    if kind not in KINDS:
        raise ValueError(f"unknown index kind {kind!r}")
    wanted = sorted({int(i) for i in ids if i is not None})
    if not wanted:
        return
    for indexer in indexers:
        indexer(kind, wanted)


matchers: list[Callable[[str, str], list[int]]] = []


def register_matcher(matcher: Callable[[str, str], list[int]]) -> None:
    """The search app's `(kind, text) -> ids, best first, bounded`; it raises core ValidationFailed on a bad query."""
    if matcher not in matchers:
        matchers.append(matcher)


def text_matches(kind: str, text: str) -> list[int] | None:
    """The ids of `kind` the registered search engine matches for `text`, or None without an engine."""
    if kind not in KINDS:
        raise ValueError(f"unknown index kind {kind!r}")
    return matchers[0](kind, text) if matchers else None
