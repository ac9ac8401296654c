"""The feedback ranking's search box and the API items list's `q` use the search engine (issue 13): "CSV export"
finds "Exporting to CSV" (stemming), which a title-contains filter would not."""

from __future__ import annotations

import pytest
from conftest import assert_problem
from django.test import Client

from supportloop.accounts.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(make_item):
    csv = make_item("Exporting to CSV drops accents", problem="Excel shows broken characters")
    pdf = make_item("PDF invoices", problem="Customers want PDF invoices by email")
    quote = make_item("Bulk actions", problem="Agents close many tickets at once; they also want a csv exports button")
    return csv, pdf, quote


def test_the_ranking_page_search_box_finds_by_stem(make_user, items):
    csv, pdf, quote = items
    client = Client()
    client.force_login(make_user(Role.PRODUCT))
    html = client.get("/feedback/", {"q": "CSV export"}).content.decode()
    assert 'name="q" value="CSV export"' in html
    assert f"/feedback/{csv.pk}/" in html and f"/feedback/{quote.pk}/" in html  # title or text, stemmed
    assert f"/feedback/{pdf.pk}/" not in html
    all_items = client.get("/feedback/").content.decode()
    assert f"/feedback/{pdf.pk}/" in all_items


def test_a_query_the_language_refuses_is_shown_not_a_500(make_user, items):
    client = Client()
    client.force_login(make_user(Role.PRODUCT))
    response = client.get("/feedback/", {"q": "csv colour:red"})
    assert response.status_code == 200 and 'id="ranking-search-error"' in response.content.decode()


def test_the_api_items_list_q_uses_the_engine(api_client, items):
    csv, _pdf, quote = items
    client = api_client(role=Role.PRODUCT)
    found = client.get("feedback/items", {"q": "CSV export"}).json()
    assert {row["id"] for row in found["items"]} == {csv.pk, quote.pk} and found["total"] == 2
    assert_problem(client.get("feedback/items", {"q": "csv colour:red"}), 422, field="q")
