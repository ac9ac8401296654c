"""The public feedback board (/feedback/public/): anonymous, public items only, no customer data, cacheable."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.customers.services import customer_note_add
from supportloop.feedback.choices import ItemStatus
from supportloop.feedback.models import FeedbackItem, ItemStats
from supportloop.feedback.rollups import current_week
from supportloop.feedback.selectors import (
    PUBLIC_PAGE_SIZE,
    public_board_items,
    public_board_query,
    public_board_state,
    public_item,
)
from supportloop.feedback.services import evidence_add, feedback_item_set_status, feedback_item_update

pytestmark = pytest.mark.django_db

SECRETS = (
    "Zed Customer",
    "Acme Secret Ltd",
    "zed@acmesecret.example",
    "acmesecret.example",
    "We will churn without this export",
    "Internal: promised to the board",
    "Problem statement nobody outside may read",
    "Note on the status change, internal",
    "48,000",
    "48000",
)


@pytest.fixture
def board(make_user, make_item, make_company, make_contact, make_ticket):
    """A shipped public item heard from a named customer at a paying company, a planned public item, and a
    private one."""
    pm = make_user(Role.PRODUCT)
    company = make_company("Acme Secret Ltd", domains=["acmesecret.example"], plan="enterprise", mrr=Decimal("48000"))
    contact = make_contact("Zed Customer", email="zed@acmesecret.example", company=company)
    customer_note_add(company=company, body="Internal: promised to the board", author=pm)
    ticket = make_ticket("Export please", body="We will churn without this export", requester=contact)
    shipped = make_item(
        "Export reports to Excel",
        actor=pm,
        is_public=True,
        problem="Problem statement nobody outside may read",
    )
    feedback_item_update(item=shipped, actor=pm, public_description="Download any report as a spreadsheet.")
    evidence_add(item=shipped, actor=pm, ticket=ticket, quote="We will churn without this export")
    feedback_item_set_status(
        item=shipped, status=ItemStatus.PLANNED, actor=pm, note="Note on the status change, internal"
    )
    feedback_item_set_status(
        item=shipped,
        status=ItemStatus.SHIPPED,
        actor=pm,
        notify=False,
        release_note="Reports now have an Excel button.",
    )
    planned = make_item("Dark mode", actor=pm, is_public=True)
    feedback_item_set_status(item=planned, status=ItemStatus.PLANNED, actor=pm)
    private = make_item("Secret partner integration", actor=pm, is_public=False)
    feedback_item_set_status(item=private, status=ItemStatus.PLANNED, actor=pm)
    return {"shipped": shipped, "planned": planned, "private": private}


def _get(client: Client, url: str, **headers):
    return client.get(url, headers=headers)


def test_board_lists_public_items_only_with_counts(board):
    response = Client().get("/feedback/public/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Export reports to Excel" in html and "Dark mode" in html
    assert "Secret partner integration" not in html
    state = public_board_state()
    assert state.counts["planned"] == 1 and state.counts["shipped"] == 1 and state.total == 2
    assert 'data-status="planned"' in html
    planned_only = Client().get("/feedback/public/?status=planned").content.decode()
    assert "Dark mode" in planned_only and "Export reports to Excel" not in planned_only


def test_no_customer_data_on_board_or_item_page(board):
    client = Client()
    pages = [
        client.get("/feedback/public/"),
        client.get("/feedback/public/?status=shipped&sort=most_wanted"),
        client.get(f"/feedback/public/{board['shipped'].pk}/", follow=True),
    ]
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        for secret in SECRETS:
            assert secret not in html, secret
    item_html = pages[-1].content.decode()
    assert "Reports now have an Excel button." in item_html
    assert "Download any report as a spreadsheet." in item_html


def test_item_page_shows_status_history_and_release_note(board):
    item = public_item(item_id=board["shipped"].pk)
    assert [status for status, _ in item.history] == ["new", "planned", "shipped"]
    assert item.release_note == "Reports now have an Excel button."
    response = Client().get(f"/feedback/public/{board['shipped'].pk}/", follow=True)
    assert response.redirect_chain[0][0] == f"/feedback/public/{board['shipped'].pk}-export-reports-to-excel/"
    html = response.content.decode()
    assert "Status history" in html and html.count('class="badge"') >= 3


def test_release_note_hidden_until_shipped(board, make_user):
    pm = make_user(Role.PRODUCT)
    feedback_item_update(item=board["planned"], actor=pm, release_note="Draft: not yet announced")
    html = Client().get(f"/feedback/public/{board['planned'].pk}/", follow=True).content.decode()
    assert "Draft: not yet announced" not in html


def test_private_unknown_and_merged_into_private_items_404(board):
    client = Client()
    assert client.get(f"/feedback/public/{board['private'].pk}/").status_code == 404
    assert client.get(f"/feedback/public/{board['private'].pk}-secret-partner-integration/").status_code == 404
    assert client.get("/feedback/public/999999/").status_code == 404


def test_item_made_private_disappears(board, make_user):
    feedback_item_update(item=board["planned"], actor=make_user(Role.PRODUCT), is_public=False)
    assert Client().get(f"/feedback/public/{board['planned'].pk}/").status_code == 404
    assert "Dark mode" not in Client().get("/feedback/public/").content.decode()


def test_sorts_order(make_user, make_item):
    pm = make_user(Role.PRODUCT)
    old_wanted = make_item("Wanted", actor=pm, is_public=True, created_at=timezone.now() - timedelta(days=30))
    growing = make_item("Growing", actor=pm, is_public=True, created_at=timezone.now() - timedelta(days=20))
    newest = make_item("Newest", actor=pm, is_public=True)
    week = current_week()  # rollups of this week: the trending sort does not recompute them
    ItemStats.objects.filter(item=old_wanted).update(unique_contacts=50, recent_4w=1, previous_4w=10, trend_week=week)
    ItemStats.objects.filter(item=growing).update(unique_contacts=5, recent_4w=30, previous_4w=2, trend_week=week)
    ItemStats.objects.filter(item=newest).update(unique_contacts=1, recent_4w=0, previous_4w=0, trend_week=week)

    def titles(sort: str) -> list[str]:
        return [r["title"] for r in public_board_items(query=public_board_query(sort=sort)).rows]

    assert titles("most_wanted") == ["Wanted", "Growing", "Newest"]
    assert titles("trending") == ["Growing", "Newest", "Wanted"]
    assert titles("recent") == ["Newest", "Growing", "Wanted"]
    html = Client().get("/feedback/public/?sort=most_wanted").content.decode()
    assert html.index("Wanted") < html.index("Growing") < html.index("Newest")


def test_etag_304_and_cache_headers(board, make_user):
    client = Client()
    for url in ("/feedback/public/", f"/feedback/public/{board['shipped'].pk}-export-reports-to-excel/"):
        first = client.get(url)
        assert first.status_code == 200
        assert "public" in first["Cache-Control"] and "max-age=60" in first["Cache-Control"]
        assert first["ETag"] and first["Last-Modified"]
        again = client.get(url, headers={"If-None-Match": first["ETag"]})
        assert again.status_code == 304 and again.content == b""
        assert again["ETag"] == first["ETag"]
    # A change anywhere on the board gives another ETag.
    first = client.get("/feedback/public/")
    feedback_item_set_status(item=board["planned"], status=ItemStatus.IN_PROGRESS, actor=make_user(Role.PRODUCT))
    changed = client.get("/feedback/public/", headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_etag_varies_with_language_and_query(board):
    client = Client()
    en = client.get("/feedback/public/", headers={"Accept-Language": "en"})
    ru = client.get("/feedback/public/", headers={"Accept-Language": "ru", "If-None-Match": en["ETag"]})
    assert ru.status_code == 200 and ru["ETag"] != en["ETag"]
    assert "Accept-Language" in ru["Vary"]
    planned = client.get("/feedback/public/?status=planned", headers={"If-None-Match": en["ETag"]})
    assert planned.status_code == 200


def test_removing_evidence_changes_the_etag(board):
    """A recount moves "most wanted" without touching the item row: the ETag still changes."""
    from supportloop.feedback.models import Evidence
    from supportloop.feedback.services import evidence_remove

    client = Client()
    first = client.get("/feedback/public/?sort=most_wanted")
    evidence_remove(evidence=Evidence.objects.get(item=board["shipped"]), actor=None)
    again = client.get("/feedback/public/?sort=most_wanted", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200 and again["ETag"] != first["ETag"]


def test_deleting_a_public_item_changes_the_etag(board, make_user):
    from supportloop.feedback.services import feedback_item_delete

    client = Client()
    first = client.get("/feedback/public/")
    feedback_item_delete(item=board["planned"], actor=make_user(Role.ADMIN))
    assert client.get("/feedback/public/", headers={"If-None-Match": first["ETag"]}).status_code == 200


def test_anonymous_no_cookies_no_csrf(board):
    client = Client(enforce_csrf_checks=True)
    for url in ("/feedback/public/", f"/feedback/public/{board['shipped'].pk}-export-reports-to-excel/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert not response.cookies
        html = response.content.decode()
        assert "csrfmiddlewaretoken" not in html and "X-CSRFToken" not in html
        assert "<form" not in html and "<script" not in html
    assert not client.cookies


def test_posting_is_refused(board):
    assert Client().post("/feedback/public/").status_code == 405


@pytest.mark.parametrize(
    "query",
    [
        "sort=drop table&status=<script>&page=abc",
        "page=-1",
        "page=0",
        "page=99999999999999999999999999999",
        "page=1e9",
        "page=%D9%A3",  # an Arabic-Indic digit: str.isdigit() says yes, int() would too
        "status=merged",
        "status[]=planned&sort[]=recent",
        "sort=%C3%A9&status=%F0%9F%92%A5",
        "page=2&page=x",
    ],
)
def test_hostile_query_strings_get_the_default(board, query):
    response = Client().get(f"/feedback/public/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Export reports to Excel" in html and "Dark mode" in html  # all statuses, first page
    assert "<script>" not in html


def test_page_size_is_bounded_and_page_past_the_end_is_the_last(make_user, make_item):
    pm = make_user(Role.PRODUCT)
    now = timezone.now()
    items = FeedbackItem.objects.bulk_create(
        FeedbackItem(title=f"Idea {i}", is_public=True, created_at=now - timedelta(minutes=i)) for i in range(35)
    )
    ItemStats.objects.bulk_create(ItemStats(item=item) for item in items)
    first = public_board_items(query=public_board_query(sort="recent", page="1"))
    assert len(first.rows) == PUBLIC_PAGE_SIZE and first.pages == 2
    last = public_board_items(query=public_board_query(sort="recent", page="999"))
    assert last.page == 2 and [r["title"] for r in last.rows] == [f"Idea {i}" for i in range(30, 35)]
    html = Client().get("/feedback/public/?sort=recent&page=2&per_page=10000").content.decode()
    assert html.count("data-item=") == 5
    assert pm  # the items above were not made through the services; the user only keeps the fixture honest


def _queries(url: str) -> int:
    client = Client()
    client.get(url)  # warm the settings row and the language catalogues
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code in (200, 301, 302)
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_items(board, make_user, make_item):
    url_item = f"/feedback/public/{board['shipped'].pk}-export-reports-to-excel/"
    before = {url: _queries(url) for url in ("/feedback/public/", "/feedback/public/?sort=recent", url_item)}
    pm = make_user(Role.PRODUCT)
    for i in range(12):
        made = make_item(f"More {i}", actor=pm, is_public=True)
        feedback_item_set_status(item=made, status=ItemStatus.PLANNED, actor=pm)
    after = {url: _queries(url) for url in before}
    assert after == before
    # settings with the latest changes, counts, the weekly trend probe, the page ids, their rows
    assert before["/feedback/public/"] <= 5 and before[url_item] <= 4
    client = Client()
    etag = client.get("/feedback/public/")["ETag"]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/feedback/public/", headers={"If-None-Match": etag}).status_code == 304
    assert len(ctx.captured_queries) <= 2  # the 304 reads no rows


def test_ranking_page_links_the_public_board(make_user):
    client = Client()
    client.force_login(make_user(Role.PRODUCT))
    assert 'href="/feedback/public/"' in client.get("/feedback/").content.decode()


def test_board_in_russian_and_chinese(board):
    ru = Client().get("/feedback/public/", headers={"Accept-Language": "ru"}).content.decode()
    assert 'lang="ru"' in ru and "Запланировано" in ru and "Над чем мы работаем" in ru
    zh = Client().get("/feedback/public/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).content.decode()
    assert 'lang="zh-hans"' in zh and "已计划" in zh and "我们正在做什么" in zh


def test_item_page_links_its_public_page_when_public(board, make_user):
    client = Client()
    client.force_login(make_user(Role.PRODUCT))
    public = client.get(f"/feedback/{board['planned'].pk}/").content.decode()
    assert f'href="/feedback/public/{board["planned"].pk}/" data-public-link' in public
    private = client.get(f"/feedback/{board['private'].pk}/").content.decode()
    assert "data-public-link" not in private


def test_signed_in_visitor_gets_no_cookie_either(board, make_user):
    """A shared cache must never store a response that sets someone's cookie."""
    client = Client()
    client.force_login(make_user(Role.AGENT))
    response = client.get("/feedback/public/")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "Cookie" in response["Vary"]  # a cache keeps signed-in visitors' copies apart


def test_etag_follows_the_templates(board, monkeypatch):
    """A deploy that changes the HTML must not be answered with 304 from the old one."""
    from supportloop.web.views import public_board

    public_board.render_version.cache_clear()
    first_version = public_board.render_version()
    public_board.render_version.cache_clear()
    assert public_board.render_version() == first_version  # the same in every process
    client = Client()
    first = client.get("/feedback/public/")
    item = client.get(f"/feedback/public/{board['shipped'].pk}-export-reports-to-excel/")
    monkeypatch.setattr(public_board, "render_version", lambda: "another deploy")
    assert client.get("/feedback/public/", headers={"If-None-Match": first["ETag"]}).status_code == 200
    again = client.get(item.wsgi_request.path, headers={"If-None-Match": item["ETag"]})
    assert again.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/feedback/public/0/",
        "/feedback/public/99999999999999999999999999/",
        "/feedback/public/99999999999999999999999999-x/",
        "/feedback/public/-1/",
        "/feedback/public/abc/",
    ],
)
def test_hostile_item_addresses_are_404(board, path):
    assert Client().get(path).status_code == 404


def test_a_wrong_or_long_slug_redirects_to_the_canonical_address(board):
    pk = board["shipped"].pk
    response = Client().get(f"/feedback/public/{pk}-{'x' * 3000}/")
    assert response.status_code == 301
    assert response["Location"] == f"/feedback/public/{pk}-export-reports-to-excel/"


@pytest.mark.parametrize("title", ["导出报表到 Excel", "Экспорт отчётов", "!!!"])
def test_unicode_and_empty_slugs_resolve_without_a_loop(make_user, make_item, title):
    item = make_item(title, actor=make_user(Role.PRODUCT), is_public=True)
    response = Client().get(f"/feedback/public/{item.pk}/", follow=True)
    assert response.status_code == 200 and len(response.redirect_chain) <= 1
    assert title in response.content.decode()
