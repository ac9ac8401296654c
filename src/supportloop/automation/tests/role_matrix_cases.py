"""The automation API's rows for the role matrix test (api/tests/test_role_matrix.py): one dict per part, merged."""

from __future__ import annotations

from supportloop.automation.tests.incident_role_cases import CASES as INCIDENT_CASES
from supportloop.automation.tests.notification_role_cases import CASES as NOTIFICATION_CASES
from supportloop.automation.tests.routing_role_cases import CASES as ROUTING_CASES
from supportloop.automation.tests.sla_role_cases import CASES as SLA_CASES
from supportloop.automation.tests.tracker_role_cases import CASES as TRACKER_CASES
from supportloop.automation.tests.triggers_role_cases import CASES as TRIGGERS_CASES
from supportloop.automation.tests.webhooks_role_cases import CASES as WEBHOOKS_CASES

CASES = {
    **ROUTING_CASES,
    **SLA_CASES,
    **TRIGGERS_CASES,
    **WEBHOOKS_CASES,
    **INCIDENT_CASES,
    **TRACKER_CASES,
    **NOTIFICATION_CASES,
}
