"""Report pages say where their figures come from when a read replica is configured: "Data as of N s ago (read
replica)", or why they read live data instead. The replica alias points at the test database (core/db.py tests
do the same); its measured staleness is set by the test."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def replica(settings, monkeypatch):
    from supportloop.core import db

    settings.SUPPORTLOOP_REPLICA_DATABASE = "default"
    settings.SUPPORTLOOP_REPLICA_CHECK_SECONDS = 0
    lag = {"seconds": 4.0}
    monkeypatch.setattr(db, "replica_staleness", lambda alias: lag["seconds"])
    return lag


def test_the_ranking_and_the_forecast_show_how_old_their_data_is(browse, demo, replica, make_user):
    from playwright.sync_api import expect

    page = browse(make_user("admin", username="boss"))
    page.goto("/feedback/")
    note = page.locator("[data-report-source]")
    expect(note).to_have_text("Data as of 4 s ago (read replica).")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-source-ranking.png"))

    replica["seconds"] = 95.0  # behind the 30 s bound: the page reads the primary and says why
    page.goto("/team/forecast/")
    expect(page.locator("[data-report-source]")).to_contain_text("Live data: the read replica is not used now")
    expect(page.locator("[data-report-source]")).to_contain_text("95.0 s behind, bound 30 s")
    page.screenshot(path=str(ARTIFACTS / "report-source-forecast.png"))
