"""The query language parser: what it understands, what it refuses, and that it never raises anything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportloop.search.query import FILTERS, MAX_QUERY_CHARS, Filter, Query, QueryError, Term, parse

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _utc(settings):
    settings.TIME_ZONE = "UTC"


def test_free_words_phrases_and_exclusions():
    q = parse('refund "double charge" -trial', now=NOW)
    assert q.terms == (Term("refund"), Term("double charge", phrase=True), Term("trial", negated=True))
    assert [t.text for t in q.words] == ["refund", "double charge"]
    assert [t.text for t in q.excluded] == ["trial"]


def test_negated_phrase_and_filter():
    q = parse('refund -"free plan" -tag:spam', now=NOW)
    assert q.terms[1] == Term("free plan", phrase=True, negated=True)
    assert q.filters == (Filter("tag", "spam", negated=True),)


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("status:open", "status", "open"),
        ("STATUS:Open", "status", "open"),
        ("assignee:me", "assignee", "me"),
        ("assignee:none", "assignee", "none"),
        ("assignee:anna.k", "assignee", "anna.k"),
        ("team:billing", "team", "billing"),
        ('team:"Second line"', "team", "Second line"),
        ("priority:urgent", "priority", "urgent"),
        ("from:Anna@Example.com", "from", "anna@example.com"),
        ("from:example.com", "from", "example.com"),
        ('company:"Acme Corp"', "company", "Acme Corp"),
        ("tag:vip", "tag", "vip"),
        ("area:billing", "area", "billing"),
        ("feature:invoices", "feature", "invoices"),
        ("reason:bug-report", "reason", "bug-report"),
        ("channel:email", "channel", "email"),
        ("plan:enterprise", "plan", "enterprise"),
        ("lang:zh-hans", "lang", "zh-hans"),
        ("is:unassigned", "is", "unassigned"),
        ("has:attachment", "has", "attachment"),
    ],
)
def test_every_filter_is_understood(text, key, value):
    q = parse(text, now=NOW)
    assert q.terms == ()
    assert [(f.key, f.value, f.negated) for f in q.filters] == [(key, value, False)]


def test_absolute_dates_are_days_in_the_workspace_time_zone():
    # created:>2026-10-01 means from the start of 2 October; <= includes the whole day; = is that day.
    assert parse("created:>2026-10-01", now=NOW).filters[0].start == datetime(2026, 10, 2, tzinfo=UTC)
    assert parse("created:>=2026-10-01", now=NOW).filters[0].start == datetime(2026, 10, 1, tzinfo=UTC)
    f = parse("created:<2026-10-01", now=NOW).filters[0]
    assert (f.start, f.end) == (None, datetime(2026, 10, 1, tzinfo=UTC))
    f = parse("created:<=2026-10-01", now=NOW).filters[0]
    assert f.end == datetime(2026, 10, 2, tzinfo=UTC)
    f = parse("updated:2026-10-01", now=NOW).filters[0]
    assert (f.start, f.end) == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC))


def test_relative_ages():
    # updated:<7d = younger than seven days: updated after NOW - 7 days; created:>2w = older than two weeks.
    f = parse("updated:<7d", now=NOW).filters[0]
    assert (f.start, f.end) == (NOW - timedelta(days=7), None)
    f = parse("created:>2w", now=NOW).filters[0]
    assert (f.start, f.end) == (None, NOW - timedelta(weeks=2))
    assert parse("updated:<12h", now=NOW).filters[0].start == NOW - timedelta(hours=12)


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("refund colour:red", "colour:red"),
        ("status:frozen", "status:frozen"),
        ("priority:meh", "priority:meh"),
        ("created:>2026-13-01", "created:>2026-13-01"),
        ("created:>2026-02-30", "created:>2026-02-30"),
        ("created:yesterday", "created:yesterday"),
        ("updated:7d", "updated:7d"),
        ("is:happy", "is:happy"),
        ("has:cat", "has:cat"),
        ("tag:", "tag:"),
        ('refund "double charge', '"double'),
        ('ab"c', 'ab"c'),
        ("from:a%b", "from:a%b"),
    ],
)
def test_errors_name_the_offending_token(text, token):
    with pytest.raises(QueryError) as caught:
        parse(text, now=NOW)
    assert caught.value.token.startswith(token) or token in caught.value.token
    assert token.split(":")[0] in caught.value.detail or caught.value.token in caught.value.detail
    assert caught.value.status == 422
    assert caught.value.errors == {"q": caught.value.detail}


def test_unknown_filter_lists_the_known_ones():
    with pytest.raises(QueryError) as caught:
        parse("colour:red", now=NOW)
    assert "colour" in caught.value.detail and "status:" in caught.value.detail


def test_type_ahead_closes_an_open_quote():
    assert parse('"double cha', lenient=True, now=NOW).terms == (Term("double cha", phrase=True),)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "-", "%", "_", "% _ -", "🙂", "-refund", '""'],
)
def test_nothing_to_search_for_is_a_clear_error(text):
    with pytest.raises(QueryError):
        parse(text, now=NOW)


def test_length_limit_and_nul():
    with pytest.raises(QueryError, match=str(MAX_QUERY_CHARS)):
        parse("a" * 10_240, now=NOW)
    with pytest.raises(QueryError, match="NUL"):
        parse("refund\x00", now=NOW)
    with pytest.raises(QueryError, match="more than"):
        parse(" ".join(f"w{i}" for i in range(40)), now=NOW)


def test_any_script_and_urls_stay_words():
    q = parse("退款 возврат مرحبا refund🙂 https://example.com/x 10:30 50%", now=NOW)
    assert [t.text for t in q.terms] == [
        "退款",
        "возврат",
        "مرحبا",
        "refund🙂",
        "https://example.com/x",
        "10:30",
        "50%",
    ]


# -- properties --------------------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=600))
def test_any_text_parses_or_raises_query_error(text):
    for lenient in (False, True):
        try:
            q = parse(text, lenient=lenient, now=NOW)
        except QueryError as error:
            assert error.detail
        else:
            assert isinstance(q, Query)
            assert q.terms or q.filters


_SAFE_FILTER_VALUES = {k: v for k, v in FILTERS.items() if v}
words = st.text(alphabet=st.characters(categories=("L", "N"), exclude_characters='"'), min_size=1, max_size=12)
terms = st.builds(Term, text=words, phrase=st.booleans(), negated=st.booleans())
phrases = st.lists(words, min_size=1, max_size=3).map(" ".join).map(lambda t: Term(t, phrase=True))
filters = st.sampled_from(sorted(_SAFE_FILTER_VALUES)).flatmap(
    lambda key: st.builds(
        Filter, key=st.just(key), value=st.sampled_from(_SAFE_FILTER_VALUES[key]), negated=st.booleans()
    )
)


@settings(max_examples=300, deadline=None)
@given(st.lists(terms | phrases, min_size=1, max_size=6), st.lists(filters, max_size=4))
def test_printing_and_parsing_round_trip(term_list, filter_list):
    if not any(not t.negated for t in term_list) and not filter_list:
        term_list = [*term_list, Term("x")]
    query = Query(terms=tuple(term_list), filters=tuple(filter_list))
    # A one-word "phrase" prints with quotes and parses back as a phrase; words with a colon are not generated.
    assert parse(str(query), now=NOW) == query
