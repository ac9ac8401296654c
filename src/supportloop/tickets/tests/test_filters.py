"""One filter definition for the ticket lists: the inbox page and the API accept the same parameters and give
the same rows; the API refuses what does not fit (422 naming the parameter), the page ignores it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import assert_problem
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.services import team_create
from supportloop.api.urls import api
from supportloop.customers.services import company_create, contact_create
from supportloop.tickets.filters import TicketListParams
from supportloop.tickets.services import (
    contact_reason_create,
    product_area_create,
    product_feature_create,
    ticket_create,
    ticket_update,
)

ROW = re.compile(r'<tr data-href="/t/(\d+)/"')


@pytest.fixture
def world(make_user, api_client):
    agent = make_user(Role.AGENT)
    team = team_create(name="Billing team", slug="billing-team", members=[agent])
    area = product_area_create(name="Billing")
    feature = product_feature_create(area=area, name="Invoices")
    other_feature = product_feature_create(area=product_area_create(name="Reports"), name="Exports")
    reason = contact_reason_create(name="How-to question")
    acme = company_create(name="Acme", domains=["acme.example"], plan="pro", mrr=100)
    ann = contact_create(name="Ann", emails=["ann@acme.example"], company=acme)
    bob = contact_create(name="Bob", emails=["bob@else.example"])
    now = timezone.now()
    made = [
        ticket_create(
            subject=f"{'Export' if i % 3 == 0 else 'Invoice'} question {i}",
            body="body",
            requester=ann if i % 2 == 0 else bob,
            team=team if i % 4 == 0 else None,
            assignee=agent if i % 3 == 1 else None,
            product_feature=feature if i % 2 == 0 else other_feature,
            contact_reason=reason if i % 5 == 0 else None,
            tags=["vip"] if i % 4 == 1 else [],
            priority=("urgent", "high", "normal", "low")[i % 4],
            created_at=now - timedelta(days=12 - i),
            actor=agent,
        )
        for i in range(12)
    ]
    ticket_update(ticket=made[3], actor=agent, status="pending")
    ticket_update(ticket=made[7], actor=agent, status="solved")
    page = Client()
    page.force_login(agent)
    return {
        "agent": agent,
        "team": team,
        "area": area,
        "reason": reason,
        "acme": acme,
        "bob": bob,
        "made": made,
        "now": now,
        "page": page,
        "api": api_client(user=agent),
    }


def _cases(w) -> list[dict]:
    since = (w["now"] - timedelta(days=6, hours=12)).isoformat()
    return [
        {},
        {"status": "open"},
        {"status": ["pending", "solved"]},
        {"priority": "urgent"},
        {"priority": ["high", "low"]},
        {"assignee": w["agent"].pk},
        {"unassigned": "true"},
        {"team": w["team"].pk},
        {"requester": w["bob"].pk},
        {"company": w["acme"].pk},
        {"product_area": w["area"].slug},
        {"product_area": str(w["area"].pk)},
        {"contact_reason": w["reason"].slug},
        {"tag": "vip"},
        {"q": "export"},
        {"created_since": since},
        {"created_before": since},
        {"updated_since": since, "priority": "urgent"},
        {"q": "invoice", "requester": w["bob"].pk, "unassigned": "true"},
    ]


def _query(params: dict) -> str:
    q = QueryDict(mutable=True)
    for key, value in params.items():
        q.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return q.urlencode()


def test_inbox_and_api_accept_the_same_parameters_and_give_the_same_rows(world):
    seen = set()
    for params in _cases(world):
        # The inbox lists active tickets unless a status is asked for: the API is told the same.
        query = _query({"active": "true", **params})
        page_rows = [int(n) for n in ROW.findall(world["page"].get(f"/?{query}").content.decode())]
        response = world["api"].get(f"tickets?{query}&limit=200")
        assert response.status_code == 200, (params, response.content[:300])
        api_rows = [t["number"] for t in response.json()["items"]]
        assert page_rows == api_rows, params
        seen.add(tuple(api_rows))
    assert len(seen) > 12  # the cases really filter: almost every one picks different rows


def test_the_api_documents_exactly_the_shared_parameters():
    doc = api.get_openapi_schema(path_prefix="/api/v1/")
    names = [p["name"] for p in doc["paths"]["/api/v1/tickets"]["get"]["parameters"]]
    assert names == [*TicketListParams.filter_names(), "cursor", "limit"]
    assert {"status", "priority", "assignee", "team", "tag", "product_area", "contact_reason", "requester"} <= set(
        names
    )
    assert {"company", "q", "created_since", "updated_before"} <= set(names)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"priority": "meh"}, "priority"),
        ({"assignee": "x"}, "assignee"),
        ({"product_area": "no-such-area"}, "product_area"),
        ({"contact_reason": "999999"}, "contact_reason"),
        ({"created_since": "yesterday"}, "created_since"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_the_api_refuses_what_does_not_fit_and_the_inbox_ignores_it(world, params, field):
    errors = assert_problem(world["api"].get(f"tickets?{_query(params)}"), 422)["errors"]
    assert [key.split(".")[0] for key in errors] == [field], errors  # status.0 names status
    assert world["page"].get(f"/?{_query(params)}").status_code == 200


def test_lenient_parse_drops_only_what_does_not_fit():
    parsed = TicketListParams.parse(QueryDict("status=open&status=bogus&priority=high&assignee=x"), strict=False)
    assert parsed.model_dump(exclude_unset=True) == {"priority": ["high"]}


def test_the_inbox_keeps_its_older_spellings(world):
    """Saved views and bookmarks say area=<id>, reason=<id>, assignee=none."""
    page = world["page"]
    old = [int(n) for n in ROW.findall(page.get(f"/?area={world['area'].pk}").content.decode())]
    new = [int(n) for n in ROW.findall(page.get(f"/?product_area={world['area'].slug}").content.decode())]
    assert old == new and old
    unassigned = [int(n) for n in ROW.findall(page.get("/?assignee=none").content.decode())]
    assert unassigned == [int(n) for n in ROW.findall(page.get("/?unassigned=true").content.decode())] != []
