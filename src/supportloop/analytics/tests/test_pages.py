"""The Reports pages, the TV link and the dashboards API: who may see them, what they show, the CSV, the query
count, and TV links that are forged, rotated, revoked or expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import assert_problem
from django.core import signing
from django.test import Client
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.analytics.models import TvLink
from supportloop.analytics.rollups import analytics_rebuild
from supportloop.analytics.services import TV_SALT, tv_link_create, tv_link_revoke, tv_link_rotate, tv_token
from supportloop.core.models import Event

pytestmark = pytest.mark.django_db

DASHBOARDS = ("volume", "times", "satisfaction", "macros", "tag_quality")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [Role.ADMIN, Role.LEAD, Role.PRODUCT])
def test_leads_admins_and_product_see_every_dashboard(make_user, make_ticket, role):
    make_ticket(channel="email")
    analytics_rebuild()
    client = _client(make_user(role))
    for name in DASHBOARDS:
        response = client.get(f"/reports/{name}/?days=7&window=solved")
        assert response.status_code == 200, name
        html = response.content.decode()
        if name in ("volume", "times", "tag_quality"):
            assert "<svg" in html, name  # the ticket gives these a chart; no survey or macro use yet
        assert "Download CSV" in html
    assert "Tickets created per hour of the week" in client.get("/reports/").content.decode()


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_agents_and_viewers_are_refused(make_user, role):
    client = _client(make_user(role))
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/satisfaction/?csv=headline").status_code == 403
    assert client.get("/reports/tv-links/").status_code == 403


def test_only_leads_manage_tv_links(make_user):
    product = _client(make_user(Role.PRODUCT))
    assert product.get("/reports/tv-links/").status_code == 403
    assert product.post("/reports/tv-links/", {"name": "Wall", "dashboard": "volume"}).status_code == 403
    assert not TvLink.objects.exists()
    lead = _client(make_user(Role.LEAD))
    assert lead.post("/reports/tv-links/", {"name": "Wall", "dashboard": "volume", "days": "30"}).status_code == 302
    link = TvLink.objects.get()
    assert "/reports/tv/" in lead.get("/reports/tv-links/").content.decode()
    assert Event.objects.filter(verb="analytics.tv_link_created", target_id=str(link.pk)).count() == 1


def test_a_bad_period_is_a_clear_error(make_user):
    client = _client(make_user(Role.LEAD))
    response = client.get("/reports/volume/?days=abc")
    assert response.status_code == 422 and "whole number" in response.content.decode()
    assert client.get("/reports/volume/?since=2026-11-10&until=2026-11-01").status_code == 422
    assert client.get("/reports/nope/").status_code == 404


def test_csv_is_the_table_behind_the_chart(make_user, make_ticket):
    make_ticket(channel="email")
    make_ticket(channel="email")
    analytics_rebuild()
    response = _client(make_user(Role.LEAD)).get("/reports/volume/?days=7&csv=by_channel")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines() == ["Name,Created", "Email,2"]


def test_page_queries_do_not_grow_with_tickets(make_user, make_ticket, django_assert_max_num_queries):
    lead = _client(make_user(Role.LEAD))
    make_ticket()
    analytics_rebuild()
    with django_assert_max_num_queries(30) as few:
        lead.get("/reports/volume/")
    for _ in range(8):
        make_ticket()
    analytics_rebuild()
    with django_assert_max_num_queries(len(few.captured_queries)):
        lead.get("/reports/volume/")
    for name in DASHBOARDS[1:]:
        with django_assert_max_num_queries(30):
            lead.get(f"/reports/{name}/")


def test_the_tv_link_shows_one_dashboard_without_login(make_user, make_ticket):
    lead = make_user(Role.LEAD)
    make_ticket()
    analytics_rebuild()
    link = tv_link_create(name="Floor", dashboard="satisfaction", actor=lead)
    response = Client().get(f"/reports/tv/{tv_token(link)}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "CSAT, CES and NPS in the period" in html and 'http-equiv="refresh"' in html
    assert "Download CSV" not in html and "/reports/volume/" not in html and "/inbox" not in html
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"


def test_the_tv_page_says_its_satisfaction_figures_count_by_rated_date(make_user):
    lead = make_user(Role.LEAD)
    satisfaction = tv_link_create(name="Floor", dashboard="satisfaction", actor=lead)
    html = Client().get(f"/reports/tv/{tv_token(satisfaction)}/").content.decode()
    note = html.split('id="report-window">')[1].split("</p>")[0]
    assert note.strip() == "Responses counted by the date they were rated."
    # A dashboard without survey figures has no window to state
    volume = tv_link_create(name="Wall", dashboard="volume", actor=lead)
    assert 'id="report-window"' not in Client().get(f"/reports/tv/{tv_token(volume)}/").content.decode()


def test_forged_rotated_revoked_and_expired_tv_links_are_refused(make_user):
    lead = make_user(Role.LEAD)
    link = tv_link_create(name="Floor", dashboard="volume", actor=lead)
    old = tv_token(link)
    anonymous = Client()
    forged = signing.dumps({"l": link.pk, "n": "guessed"}, salt=TV_SALT)
    assert anonymous.get(f"/reports/tv/{forged}/").status_code == 404
    assert anonymous.get(f"/reports/tv/{old[:-2]}xx/").status_code == 404  # altered signature
    other_salt = signing.dumps({"l": link.pk, "n": link.nonce}, salt="something.else")
    assert anonymous.get(f"/reports/tv/{other_salt}/").status_code == 404

    link = tv_link_rotate(link_id=link.pk, actor=lead)
    assert anonymous.get(f"/reports/tv/{old}/").status_code == 404
    assert anonymous.get(f"/reports/tv/{tv_token(link)}/").status_code == 200

    TvLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert anonymous.get(f"/reports/tv/{tv_token(link)}/").status_code == 404
    TvLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + timedelta(days=1))
    tv_link_revoke(link_id=link.pk, actor=lead)
    response = anonymous.get(f"/reports/tv/{tv_token(link)}/")
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_api_series_and_csv(api_client, make_ticket):
    make_ticket(channel="email")
    analytics_rebuild()
    client = api_client(role=Role.PRODUCT)
    response = client.get("/api/v1/analytics/dashboards/volume?window=rated")
    assert response.status_code == 200
    body = response.json()
    tables = {t["key"]: t for t in body["tables"]}
    assert tables["by_channel"]["rows"] == [["Email", 1]]
    assert body["window"] == "rated"
    csv = client.get("/api/v1/analytics/dashboards/volume/by_channel.csv?window=rated")
    assert csv.status_code == 200 and csv.content.decode().splitlines()[1] == "Email,1"
    assert_problem(client.get("/api/v1/analytics/dashboards/volume"), 422, field="window")
    assert_problem(client.get("/api/v1/analytics/dashboards/volume/nope.csv?window=rated"), 422, field="table")
    assert_problem(api_client(role=Role.AGENT).get("/api/v1/analytics/dashboards/volume?window=rated"), 403)
