"""Every enum the API publishes is taken from its model's choices: the two always agree, and no hand-copied
list of values is left in the API's code."""

from __future__ import annotations

import ast
import pathlib

import pytest
from django.conf import settings

from supportloop.accounts.choices import Role
from supportloop.api.routers.accounts import UserCreateIn, UserListQuery
from supportloop.api.routers.companies import CompanyCreateIn
from supportloop.api.routers.macros import MacroActions
from supportloop.api.schemas import feedback as fs
from supportloop.api.schemas import tickets as ts
from supportloop.customers.choices import Plan
from supportloop.feedback.choices import Importance, ItemStatus, Kind, NoticeKind, NoticeStatus, Tracker
from supportloop.feedback.selectors.ranking import SORTS
from supportloop.tickets.choices import AuthorType, Channel, Priority, Status

API = pathlib.Path(__file__).resolve().parents[1]


def enum_of(schema, field: str) -> list[str]:
    """The values the field's JSON schema allows (a list field: its items; nullable: without null)."""
    prop = schema.model_json_schema()["properties"][field]
    for option in [prop, prop.get("items", {}), *prop.get("anyOf", [])]:
        if "enum" in option:
            return option["enum"]
        if "items" in option and "enum" in option["items"]:
            return option["items"]["enum"]
        if "$ref" in option:
            name = option["$ref"].rsplit("/", 1)[-1]
            return schema.model_json_schema()["$defs"][name]["enum"]
    raise AssertionError(f"{schema.__name__}.{field} is not an enum: {prop}")


CASES = [
    (ts.TicketListQuery, "status", Status.values),
    (ts.TicketListQuery, "priority", Priority.values),
    (ts.TicketCreateIn, "status", Status.values),
    (ts.TicketCreateIn, "priority", Priority.values),
    (ts.TicketCreateIn, "channel", Channel.values),
    (ts.TicketCreateIn, "author", [v for v in AuthorType.values if v != AuthorType.SYSTEM]),
    (ts.TicketUpdateIn, "status", Status.values),
    (ts.TicketUpdateIn, "priority", Priority.values),
    (ts.ReplyIn, "status", Status.values),
    (MacroActions, "status", Status.values),
    (MacroActions, "priority", Priority.values),
    (CompanyCreateIn, "plan", Plan.values),
    (UserCreateIn, "role", Role.values),
    (UserCreateIn, "language", ["", *(code for code, _ in settings.LANGUAGES)]),
    (UserListQuery, "role", Role.values),
    (fs.FeedbackRankingQuery, "kind", Kind.values),
    (fs.FeedbackRankingQuery, "status", ItemStatus.values),
    (fs.FeedbackRankingQuery, "plan", Plan.values),
    (fs.FeedbackRankingQuery, "sort", list(SORTS)),
    (fs.FeedbackItemCreateIn, "kind", Kind.values),
    (fs.FeedbackStatusIn, "status", [v for v in ItemStatus.values if v != ItemStatus.MERGED]),
    (fs.FeedbackEvidenceIn, "importance", Importance.values),
    (fs.FeedbackBugIn, "importance", Importance.values),
    (fs.NotifyPreviewQuery, "kind", NoticeKind.values),
    (fs.ClosingNoticeOut, "kind", NoticeKind.values),
    (fs.ClosingNoticeOut, "status", NoticeStatus.values),
    (fs.NotifyPreviewRowOut, "notice_status", NoticeStatus.values),
    (fs.ClosingNoticeRetryIn, "kind", NoticeKind.values),
    (fs.EngineeringLinkIn, "tracker", Tracker.values),
]


@pytest.mark.parametrize(("schema", "field", "values"), CASES, ids=[f"{s.__name__}.{f}" for s, f, _ in CASES])
def test_api_enum_equals_the_model_choices(schema, field, values):
    assert enum_of(schema, field) == list(values)


def test_no_hand_copied_enum_is_left_in_the_api():
    """A Literal of string values in api/ is a copy of some model's choices waiting to drift. Allowed: the
    sort order and the changes feed's kinds, which belong to the API itself."""
    allowed = {("asc", "desc"), ("company", "contact", "ticket")}
    found = []
    for path in API.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "Literal":
                items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                values = tuple(getattr(item, "value", None) for item in items)
                if all(isinstance(v, str) for v in values) and values not in allowed:
                    found.append(f"{path.relative_to(API)}:{node.lineno} {values}")
    assert found == []
