"""The search endpoint's row for api/tests/test_role_matrix.py (type=ticket: the ticket.view action)."""

from supportloop.api.tests.role_matrix_cases import Case

CASES = {
    ("GET", "/api/v1/search"): Case("ticket.view", lambda w: "search?q=invoice"),
}
