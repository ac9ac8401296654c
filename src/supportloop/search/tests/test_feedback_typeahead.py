"""The feedback picker (link a quote, merge a duplicate) searches with the engine (issue 13): stemmed words in any
order, the last word a prefix, a reference first, merged items never. Runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from supportloop.accounts.choices import Role
from supportloop.core.errors import PermissionDenied
from supportloop.feedback.services.items import feedback_item_create, feedback_item_merge
from supportloop.search.engine import feedback_typeahead
from supportloop.search.query import QueryError

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT, username="anna")


def titles(items):
    return [i.title for i in items]


def test_csv_export_finds_the_item_that_says_exporting_to_csv(agent):
    csv = feedback_item_create(kind="feature_request", title="Exporting to CSV", actor=None)
    feedback_item_create(kind="feature_request", title="Export invoices as PDF", actor=None)
    feedback_item_create(kind="bug", title="CSV import drops accents", actor=None)
    assert feedback_typeahead(user=agent, q="CSV export") == [csv]
    # while the word is being typed
    assert feedback_typeahead(user=agent, q="csv expo") == [csv]


def test_words_of_the_problem_and_of_evidence_quotes_find_the_item(agent):
    item = feedback_item_create(
        kind="feature_request", title="Bulk download", problem="Accountants need every invoice at month end", actor=None
    )
    assert feedback_typeahead(user=agent, q="accountant invoices") == [item]


def test_a_reference_comes_first_and_a_merged_item_never(agent):
    target = feedback_item_create(kind="feature_request", title="Dark mode", actor=None)
    duplicate = feedback_item_create(kind="feature_request", title="Dark theme please", actor=None)
    feedback_item_merge(source=duplicate, target=target, actor=None)
    assert feedback_typeahead(user=agent, q="dark") == [target]
    assert feedback_typeahead(user=agent, q=f"FB-{target.pk}") == [target]
    assert feedback_typeahead(user=agent, q=f"FB-{duplicate.pk}") == []


def test_the_item_being_merged_is_left_out_of_its_own_merge_search(agent):
    one = feedback_item_create(kind="feature_request", title="Slack alerts", actor=None)
    other = feedback_item_create(kind="feature_request", title="Slack notifications", actor=None)
    assert feedback_typeahead(user=agent, q="slack", exclude_id=one.pk) == [other]


def test_nothing_typed_finds_nothing_and_a_bad_filter_is_an_error_naming_it(agent):
    feedback_item_create(kind="feature_request", title="Anything", actor=None)
    assert feedback_typeahead(user=agent, q="  ") == []
    with pytest.raises(QueryError) as caught:
        feedback_typeahead(user=agent, q="colour:blue")
    assert "colour" in caught.value.token


def test_someone_not_signed_in_cannot_search_feedback():
    from django.contrib.auth.models import AnonymousUser

    feedback_item_create(kind="feature_request", title="Dark mode", actor=None)
    with pytest.raises(PermissionDenied):
        feedback_typeahead(user=AnonymousUser(), q="dark")


def test_a_stop_word_being_typed_last_does_not_hide_the_item(agent):
    # PostgreSQL's stemmed vectors drop "all"; as a prefix it would match nothing and AND the whole query away.
    item = feedback_item_create(kind="feature_request", title="Export all invoices as PDF", actor=None)
    assert feedback_typeahead(user=agent, q="Export all") == [item]
