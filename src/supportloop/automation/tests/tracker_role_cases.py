"""Role matrix row of the trackers' webhook: public (the provider's signature is its credential); without a
secret configured (as in the tests) every caller gets 404 and nothing is accepted."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case

CASES = {
    ("POST", "/api/v1/trackers/{kind}/webhook"): Case(
        None,
        lambda w: "trackers/github/webhook",
        body=lambda w: {"action": "closed"},
        status=404,
        public=True,
    ),
}
