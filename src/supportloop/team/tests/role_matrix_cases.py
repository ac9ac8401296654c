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


def _caller(w: World):
    """The user calling now (the matrix sets `caller_token_id` before each call; the 401 checks come first)."""
    from supportloop.accounts.models import ApiToken

    if w.caller_token_id is None:
        return w.admin
    return ApiToken.objects.select_related("user").get(pk=w.caller_token_id).user


def _fresh_day(w: World) -> date:
    return date(2031, 1, 1) + timedelta(days=w.n())


def _proposal_body(w: World) -> dict:
    """A shift of the caller's own (only the person on a shift may propose), offered to the taker."""
    from supportloop.team.services import rotation_member_set, shift_set

    _members(w)
    caller = _caller(w)
    rotation_member_set(user=caller, actor=w.admin)
    shift = shift_set(day=_fresh_day(w), user=caller, actor=w.admin)
    return {"shift_id": shift.pk, "to_user": w.extra["taker"].pk}


def _asked_url(answer: str):
    """A swap proposed to the caller (only the person asked may accept or decline)."""

    def url(w: World) -> str:
        from supportloop.team.services import rotation_member_set, shift_set, swap_propose

        _members(w)
        caller = _caller(w)
        rotation_member_set(user=caller, actor=w.admin)
        shift = shift_set(day=_fresh_day(w), user=w.user, actor=w.admin)
        proposal = swap_propose(shift=shift, to_user=caller, actor=w.user)
        return f"team/swaps/{proposal.pk}/{answer}"

    return url


def _pattern_url(w: World) -> str:
    from datetime import time

    from supportloop.team.services import shift_pattern_save

    pattern = shift_pattern_save(actor=w.admin, name=f"P{w.n()}", start_time=time(9), end_time=time(17))
    return f"team/shift-patterns/{pattern.pk}"


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
    # The lead's direct move (others propose a swap instead).
    ("POST", "/api/v1/team/shifts/{shift_id}/swap"): Case(
        "rotation.manage", _swap_url, body=lambda w: {"to_user": w.extra["taker"].pk}
    ),
    ("GET", "/api/v1/team/forecast"): Case("forecast.view", lambda w: "team/forecast"),
    ("GET", "/api/v1/team/members"): Case("rotation.view", lambda w: "team/members"),
    # Everyone may call it; only leads change someone else's constraints (the refusal names rotation.manage).
    ("PUT", "/api/v1/team/members/{user_id}"): Case(
        "rotation.manage", lambda w: f"team/members/{w.user.pk}", body=lambda w: {"max_per_month": 3}
    ),
    ("GET", "/api/v1/team/time-off"): Case("rotation.view", lambda w: "team/time-off"),
    ("POST", "/api/v1/team/time-off"): Case(
        "rotation.view",
        lambda w: "team/time-off",
        status=201,
        body=lambda w: {"start": "2031-05-01", "end": "2031-05-02"},
    ),
    ("GET", "/api/v1/team/shift-patterns"): Case("rotation.view", lambda w: "team/shift-patterns"),
    ("POST", "/api/v1/team/shift-patterns"): Case(
        "rotation.manage",
        lambda w: "team/shift-patterns",
        status=201,
        body=lambda w: {"name": f"N{w.n()}", "start_time": "06:00", "end_time": "14:00"},
    ),
    ("PUT", "/api/v1/team/shift-patterns/{pattern_id}"): Case(
        "rotation.manage",
        _pattern_url,
        body=lambda w: {"name": f"R{w.n()}", "start_time": "07:00", "end_time": "15:00"},
    ),
    ("POST", "/api/v1/team/shifts"): Case(
        "rotation.manage",
        lambda w: "team/shifts",
        body=lambda w: (_members(w), {"date": _fresh_day(w).isoformat(), "user_id": w.user.pk})[1],
    ),
    ("GET", "/api/v1/team/swaps"): Case("rotation.view", lambda w: "team/swaps"),
    ("POST", "/api/v1/team/swaps"): Case("rotation.view", lambda w: "team/swaps", status=201, body=_proposal_body),
    ("POST", "/api/v1/team/swaps/{swap_id}/accept"): Case("rotation.view", _asked_url("accept")),
    ("POST", "/api/v1/team/swaps/{swap_id}/decline"): Case("rotation.view", _asked_url("decline")),
    ("POST", "/api/v1/team/calendar-feed"): Case("rotation.view", lambda w: "team/calendar-feed", body=lambda w: {}),
}
