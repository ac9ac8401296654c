"""Every remaining page renders in a bounded number of queries, whatever the amount of data."""

from __future__ import annotations

import pytest

from supportloop.accounts.services import api_token_create, team_create
from supportloop.customers.services import customer_note_add
from supportloop.feedback.services import evidence_add, feedback_item_create, feedback_item_set_status
from supportloop.tickets.services import macro_create, product_area_create, product_feature_create

pytestmark = pytest.mark.django_db

PAGES = {
    "/roadmap/": 8,
    "/digest/": 12,
    "/settings/": 4 + 12,  # + the search index lag for admins: three indexed queries per kind
    "/settings/users/": 4,
    "/settings/teams/": 5,
    "/settings/macros/": 4,
    "/settings/taxonomy/": 6,
    "/settings/tokens/": 4,
    "/account/": 4,  # + the agent's away status (automation's routing)
    "/settings/routing/": 5,
    "/settings/assignment/": 8,
    "/customers/": 6,
    "/customers/?q=a": 6,
    "/feedback/?kind=feature_request&weeks=12&plan=pro": 12,
}


def grow(ws, n: int) -> None:
    tickets = ws.tickets_make(n)
    for i in range(n):
        ws.pm.__class__.objects.create_user(username=f"extra{i}", role="agent")
        team_create(name=f"Team {i}", slug=f"team-{i}", members=[ws.agent])
        area = product_area_create(name=f"Area {i}")
        product_feature_create(area=area, name=f"Feature {i}")
        macro_create(name=f"Macro {i}", body="Hello {{ contact.first_name }}")
        api_token_create(user=ws.admin, name=f"token {i}")
        customer_note_add(body=f"note {i}", author=ws.agent, contact=ws.alice)
        item = feedback_item_create(kind="feature_request", title=f"Idea {i}", actor=ws.pm)
        evidence_add(item=item, actor=ws.agent, ticket=tickets[i])
        feedback_item_set_status(
            item=item, status=["planned", "in_progress", "shipped"][i % 3], actor=ws.pm, notify=False
        )


@pytest.mark.parametrize("n", [1, 15])
@pytest.mark.parametrize("path", list(PAGES))
def test_page_queries_are_bounded(ws, client_for, django_assert_max_num_queries, n, path):
    grow(ws, n)
    client = client_for(ws.admin)
    client.get(path)  # warm the per-process caches (feedback settings, rollup MRR watermark)
    with django_assert_max_num_queries(PAGES[path]):
        response = client.get(path)
    assert response.status_code == 200
