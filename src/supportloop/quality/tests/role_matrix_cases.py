"""Role matrix rows of the quality API (api/tests/test_role_matrix.py). Review rows make a fresh review assigned to
the caller (whose token the test just made) on a fresh scorecard, so every allowed role scores its own."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case, World


def _caller_review(w: World) -> int:
    from supportloop.accounts.models import ApiToken
    from supportloop.quality.models import Review, Scorecard

    caller = ApiToken.objects.values_list("user_id", flat=True).get(pk=w.caller_token_id)
    card = Scorecard.objects.create(name=f"Card {w.n()}")
    criteria = [{"id": None, "label": "Tone", "weight": 1, "scale": "one_to_five", "order": 0}]
    return Review.objects.create(
        ticket=w.ticket,
        agent=w.user,
        reviewer_id=caller,
        scorecard=card,
        criteria=criteria,
        week="2026-W10",
        sampled_because="random",
    ).pk


def _card(w: World) -> int:
    from supportloop.quality.services import scorecard_create

    return scorecard_create(name=f"Card {w.n()}", criteria=[{"label": "Tone"}], actor=w.admin).pk


Q = "/api/v1/quality"
CASES = {
    ("GET", f"{Q}/scorecards"): Case("quality.manage", lambda w: "quality/scorecards"),
    ("POST", f"{Q}/scorecards"): Case(
        "quality.manage",
        lambda w: "quality/scorecards",
        body=lambda w: {"name": f"Card {w.n()}", "criteria": [{"label": "Tone", "weight": 2}]},
        status=201,
    ),
    ("PATCH", f"{Q}/scorecards/{{scorecard_id}}"): Case(
        "quality.manage", lambda w: f"quality/scorecards/{_card(w)}", body=lambda w: {"name": f"Renamed {w.n()}"}
    ),
    ("GET", f"{Q}/settings"): Case("quality.manage", lambda w: "quality/settings"),
    ("PATCH", f"{Q}/settings"): Case("quality.manage", lambda w: "quality/settings", body=lambda w: {"sample_size": 3}),
    ("POST", f"{Q}/samples"): Case("quality.manage", lambda w: "quality/samples", body=lambda w: {"week": "2026-W10"}),
    ("GET", f"{Q}/reviews"): Case("quality.review", lambda w: "quality/reviews"),
    ("GET", f"{Q}/reviews/{{review_id}}"): Case("quality.review", lambda w: f"quality/reviews/{_caller_review(w)}"),
    ("POST", f"{Q}/reviews/{{review_id}}/score"): Case(
        "quality.review",
        lambda w: f"quality/reviews/{_caller_review(w)}/score",
        body=lambda w: {"scores": {"Tone": 4}, "comment": "Fine"},
    ),
    ("POST", f"{Q}/reviews/{{review_id}}/reassign"): Case(
        "quality.manage",
        lambda w: f"quality/reviews/{_caller_review(w)}/reassign",
        body=lambda w: {"reviewer_id": w.admin.pk},
    ),
    ("GET", f"{Q}/report"): Case("quality.report", lambda w: "quality/report"),
}
