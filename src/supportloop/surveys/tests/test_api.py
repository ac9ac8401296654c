"""The surveys API: the response list and figures for staff, settings for admins, bad input as problems."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import assert_problem

from supportloop.accounts.choices import Role
from supportloop.core.models import Event
from supportloop.surveys.choices import sentiment_of
from supportloop.surveys.models import SurveyResponse, SurveySend
from supportloop.tickets.models import ContactReason


def _response(contact, kind: str, score: int, rated: datetime, solved: datetime | None = None) -> SurveyResponse:
    scale = "good_bad" if kind == "csat" else ""
    send = SurveySend.objects.create(kind=kind, scale=scale, contact=contact, expires_at=rated + timedelta(days=1))
    return SurveyResponse.objects.create(
        send=send,
        kind=kind,
        scale=scale,
        score=score,
        sentiment=sentiment_of(kind, scale, score),
        contact=contact,
        rated_at=rated,
        solved_at=solved,
        comment="fine" if score else "slow",
    )


def test_staff_list_responses_by_window_and_read_the_figures(api_client, make_contact):
    ann = make_contact("Ann")
    jan = datetime(2026, 1, 15, tzinfo=UTC)
    _response(ann, "csat", 1, rated=jan, solved=jan - timedelta(days=20))
    _response(ann, "csat", 0, rated=jan + timedelta(days=1), solved=jan)
    agent = api_client(role=Role.AGENT)
    body = agent.get(
        "/api/v1/surveys/responses",
        {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z", "window": "solved"},
    ).json()
    assert body["count"] == 1 and body["items"][0]["score"] == 0 and body["items"][0]["comment"] == "slow"
    figures = agent.get(
        "/api/v1/surveys/figures",
        {"kind": "csat", "window": "rated", "since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"},
    ).json()
    assert (figures["count"], figures["good"], figures["score"]) == (2, 1, 50.0)


def test_figures_need_a_window_and_a_sane_period(api_client):
    agent = api_client(role=Role.AGENT)
    assert_problem(agent.get("/api/v1/surveys/figures", {"kind": "csat"}), 422)
    assert_problem(agent.get("/api/v1/surveys/figures", {"kind": "csat", "window": "created"}), 422)
    assert_problem(
        agent.get(
            "/api/v1/surveys/figures",
            {"kind": "nps", "window": "rated", "since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        ),
        422,
    )


def test_viewers_may_not_list_responses_and_only_admins_change_settings(api_client):
    assert_problem(api_client(role=Role.VIEWER).get("/api/v1/surveys/responses"), 403)
    assert_problem(api_client(role=Role.LEAD).patch("/api/v1/surveys/settings", {"throttle_days": 7}), 403)
    assert_problem(api_client(role=Role.AGENT).get("/api/v1/surveys/settings"), 403)


def test_admin_changes_settings_audited_and_bad_values_are_problems(api_client):
    ContactReason.objects.create(name="How do I", slug="how-do-i")
    admin = api_client(role=Role.ADMIN)
    body = admin.patch(
        "/api/v1/surveys/settings",
        {"csat_scale": "five", "csat_delay_minutes": 30, "ces_enabled": True, "ces_contact_reasons": ["how-do-i"]},
    ).json()
    assert (body["csat_scale"], body["csat_delay_minutes"], body["ces_contact_reasons"]) == ("five", 30, ["how-do-i"])
    event = Event.objects.get(verb="surveys.settings_updated")
    assert event.changes["csat_scale"] == ["good_bad", "five"]
    assert_problem(admin.patch("/api/v1/surveys/settings", {"csat_scale": "stars"}), 422)
    assert_problem(admin.patch("/api/v1/surveys/settings", {"throttle_days": -1}), 422)
    assert_problem(admin.patch("/api/v1/surveys/settings", {"surprise": 1}), 422)
    assert_problem(
        admin.patch("/api/v1/surveys/settings", {"ces_contact_reasons": ["nope"]}), 422, field="ces_contact_reasons"
    )
    assert admin.get("/api/v1/surveys/settings").json()["csat_scale"] == "five"
