"""Role matrix rows of the team API (api/tests/test_role_matrix.py). The swap URL makes a fresh shift of the
world's agent on each call: the test sends a case once per allowed role."""

from __future__ import annotations

from datetime import date, timedelta

from supportloop.api.tests.role_matrix_cases import Case, World


def _members(w: World) -> None:
    from supportloop.accounts.services import user_create
    from supportloop.team.services import rotation_member_set

    if "taker" in w.extra:
        return
    w.extra["taker"] = user_create(username=f"taker{w.n()}", role="viewer")
    for person in (w.user, w.extra["taker"]):
        rotation_member_set(user=person, actor=w.admin)


def _swap_url(w: World) -> str:
    from supportloop.team.services import shift_set

    _members(w)
    shift = shift_set(day=date(2030, 1, 1) + timedelta(days=w.n()), user=w.user, actor=w.admin)
    return f"team/shifts/{shift.pk}/swap"


CASES = {
    ("GET", "/api/v1/team/shifts"): Case("rotation.view", lambda w: "team/shifts"),
    ("POST", "/api/v1/team/schedule/generate"): Case(
        "rotation.manage",
        lambda w: "team/schedule/generate",
        body=lambda w: {"start": "2030-06-01", "end": "2030-06-07", "seed": 1},
    ),
    # The endpoint lets everyone in (rotation.view), then the service lets only the person on the shift or a
    # lead hand it over; the callers here never hold the shift, so what they see is rotation.manage.
    ("POST", "/api/v1/team/shifts/{shift_id}/swap"): Case(
        "rotation.manage", _swap_url, body=lambda w: {"to_user": w.extra["taker"].pk}
    ),
    ("GET", "/api/v1/team/forecast"): Case("forecast.view", lambda w: "team/forecast"),
}
