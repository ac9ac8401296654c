"""The public board's selectors (feedback/selectors/public.py) and the public description through the API."""

from __future__ import annotations

import pytest

from supportloop.accounts.choices import Role
from supportloop.core.errors import NotFound
from supportloop.feedback.choices import ItemStatus
from supportloop.feedback.selectors import (
    PUBLIC_SORTS,
    public_board_items,
    public_board_query,
    public_board_state,
    public_item,
)
from supportloop.feedback.services import feedback_item_merge, feedback_item_set_status

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, ("", "trending", 1)),
        ({"status": "planned", "sort": "recent", "page": "3"}, ("planned", "recent", 3)),
        ({"status": "merged"}, ("", "trending", 1)),
        ({"status": "PLANNED", "sort": "Recent"}, ("", "trending", 1)),
        ({"page": "0"}, ("", "trending", 1)),
        ({"page": "-2"}, ("", "trending", 1)),
        ({"page": "9" * 40}, ("", "trending", 1)),
        ({"page": "\u0663"}, ("", "trending", 1)),  # an Arabic-Indic three
        ({"page": ["2"], "sort": None, "status": 5}, ("", "trending", 1)),
    ],
)
def test_query_cleaning(raw, expected):
    query = public_board_query(**raw)
    assert (query.status, query.sort, query.page) == expected


def test_counts_leave_out_private_and_merged(make_item, make_user):
    pm = make_user(Role.PRODUCT)
    a = make_item("A", actor=pm, is_public=True)
    b = make_item("B", actor=pm, is_public=True)
    make_item("C", actor=pm, is_public=False)
    feedback_item_set_status(item=a, status=ItemStatus.IN_PROGRESS, actor=pm)
    feedback_item_merge(source=b, target=a, actor=pm)
    state = public_board_state()
    assert state.counts["in_progress"] == 1 and state.total == 1
    for sort in PUBLIC_SORTS:
        assert [r["id"] for r in public_board_items(query=public_board_query(sort=sort), state=state).rows] == [a.pk]
    # A merged item leads to the item it went into while that one is public.
    assert public_item(item_id=b.pk).redirect_to == a.pk


def test_merged_into_a_private_item_is_not_found(make_item, make_user):
    pm = make_user(Role.PRODUCT)
    private = make_item("Private", actor=pm, is_public=False)
    public = make_item("Public", actor=pm, is_public=True)
    feedback_item_merge(source=public, target=private, actor=pm)
    with pytest.raises(NotFound):
        public_item(item_id=public.pk)


def test_state_version_changes_with_what_the_page_shows(make_item, make_user):
    pm = make_user(Role.PRODUCT)
    item = make_item("A", actor=pm, is_public=True)
    before = public_board_state()
    assert before.version("x") == public_board_state().version("x")
    assert before.version("x") != before.version("y")
    feedback_item_set_status(item=item, status=ItemStatus.PLANNED, actor=pm)
    assert public_board_state().version("x") != before.version("x")


def test_public_description_set_through_the_api(api_client, make_item):
    pm = api_client(role=Role.PRODUCT)
    item = make_item("Export", actor=pm.user)
    r = pm.patch(f"feedback/items/{item.pk}", {"public_description": "Export any report.", "is_public": True})
    assert r.status_code == 200, r.content
    assert r.json()["public_description"] == "Export any report."
    assert public_item(item_id=item.pk).public_description == "Export any report."


def test_public_description_given_at_creation_through_the_api(api_client):
    pm = api_client(role=Role.PRODUCT)
    r = pm.post("feedback/items", {"title": "Calendar sync", "is_public": True, "public_description": "Two-way."})
    assert r.status_code == 201, r.content
    assert public_item(item_id=r.json()["id"]).public_description == "Two-way."
