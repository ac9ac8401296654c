"""The automation API's rows for the role matrix test (api/tests/test_role_matrix.py): one dict per part, merged."""

from __future__ import annotations

from supportloop.automation.tests.routing_role_cases import CASES as ROUTING_CASES

CASES = {**ROUTING_CASES}
