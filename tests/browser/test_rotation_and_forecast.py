"""Issue 17 in the browser: a person sees their shifts on the rotation page and proposes a swap, the other person
sees the request and accepts it; the staffing forecast shows its chart and tables within the page's width."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path("test-artifacts")


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def fits(page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth, document.body.scrollWidth]"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[1], widths


def test_a_person_sees_their_shifts_proposes_a_swap_and_the_other_accepts(browse, demo, make_user):
    from django.utils import timezone

    from supportloop.accounts.choices import Role
    from supportloop.team import services
    from supportloop.team.models import Shift

    lead = make_user(Role.LEAD, username="lea", first_name="Lea", last_name="Lead")
    for person in (demo.agent, demo.pm, lead):
        services.rotation_member_set(user=person, actor=lead, weekdays=list(range(7)), max_per_month=0)
    services.shift_pattern_save(actor=lead, name="Early", start_time=time(8), end_time=time(14))
    services.shift_pattern_save(actor=lead, name="Late", start_time=time(14), end_time=time(20), position=1)
    today = timezone.localdate()
    services.schedule_generate(start=today + timedelta(days=1), end=today + timedelta(days=7), seed=2, actor=lead)
    # One of the agent's shifts on a day Pat has none (nobody takes two shifts a day).
    pat_days = set(Shift.objects.filter(user=demo.pm).values_list("date", flat=True))
    mine = next(
        s for s in Shift.objects.filter(user=demo.agent).order_by("date", "starts_at") if s.date not in pat_days
    )

    page = browse(demo.agent)
    page.goto("/team/")
    my_shifts = page.locator("#my-shifts li")
    expect(my_shifts).to_have_count(Shift.objects.filter(user=demo.agent).count())
    start, end = (f"{timezone.localtime(t):%H:%M}" for t in (mine.starts_at, mine.ends_at))
    expect(page.locator("#my-shifts")).to_contain_text(f"{mine.date:%a %d %b} {mine.pattern.name} {start}–{end}")
    row = page.locator(f'#schedule tr[data-shift="{mine.pk}"]')
    expect(row).to_have_class("mine")
    row.locator("select[name=to_user]").select_option(str(demo.pm.pk))
    row.get_by_role("button", name="Propose swap").click()
    expect(page.locator("#swap-requests")).to_contain_text("Waiting for")
    fits(page)
    screenshot(page, "rotation-proposed")
    assert Shift.objects.get(pk=mine.pk).user_id == demo.agent.pk  # nothing moved yet

    other = browse(demo.pm)
    other.goto("/team/")
    request = other.locator("#swap-requests li")
    expect(request).to_contain_text(f"asks you to take their {mine.pattern.name} shift")
    screenshot(other, "rotation-asked")
    request.get_by_role("button", name="Accept").click()
    expect(other.locator(".flash, .messages, body").first).to_contain_text("Swap accepted")
    expect(other.locator(f'#schedule tr[data-shift="{mine.pk}"]')).to_contain_text("swapped from")
    expect(other.locator(f'#schedule tr[data-shift="{mine.pk}"]')).to_have_class("mine")
    expect(other.locator("#swap-requests")).to_have_count(0)
    fits(other)
    screenshot(other, "rotation-accepted")
    assert Shift.objects.get(pk=mine.pk).user_id == demo.pm.pk


def test_the_forecast_page_shows_the_chart_and_tables_within_the_width(browse, make_user, monkeypatch):
    from django.core.cache import cache

    from supportloop.accounts.choices import Role
    from supportloop.team import selectors
    from supportloop.team.tests.test_forecast import seeded_history

    cache.clear()
    history = seeded_history(8, scale=6.0)
    monkeypatch.setattr(selectors, "hourly_volume", lambda *, start, hours: history[-hours:])
    monkeypatch.setattr(
        selectors,
        "capacity_measured",
        lambda *, end, weeks: selectors.Capacity(
            weeks, solved=300, replies=600, agent_hours=400, active_hours=320, duty_hours=120, created=320
        ),
    )
    lead = make_user(Role.LEAD, username="lead")
    page = browse(lead, width=1280)
    page.goto("/team/forecast/")
    chart = page.locator("figure.chart svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and 600 <= box["width"] <= 1280 and box["height"] >= 200, box
    expect(page.locator("#forecast-days tbody tr")).to_have_count(7)
    expect(page.locator("#capacity")).to_contain_text("(300 solved + 600 public replies) / 400 logged agent-hours")
    expect(page.get_by_text("Backtest on the last 4 weeks")).to_be_visible()
    fits(page)
    screenshot(page, "forecast-1280")
    page.set_viewport_size({"width": 800, "height": 900})
    fits(page)
    box = chart.bounding_box()
    assert box is not None and box["width"] <= 800, box
    screenshot(page, "forecast-800")
