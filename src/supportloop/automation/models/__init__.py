"""Automation's models, one module per part (triggers, time rules, SLAs and business hours, routing and
assignment, webhooks and integrations), all re-exported here for Django."""

from supportloop.automation.models.incidents import Incident, IncidentTicket
from supportloop.automation.models.routing import AgentProfile, RoutingRule, TeamAssignment
from supportloop.automation.models.sla import (
    BusinessCalendar,
    BusinessCalendarTeam,
    SlaPolicy,
    SlaTarget,
    TicketSla,
    TicketSlaPause,
)
from supportloop.automation.models.triggers import (
    FiringOutcome,
    Notification,
    TimeRuleMark,
    TimeRuleSetting,
    Trigger,
    TriggerFiring,
)
from supportloop.automation.models.webhooks import ChatIntegration, WebhookDelivery, WebhookEndpoint

__all__ = [
    "AgentProfile",
    "BusinessCalendar",
    "BusinessCalendarTeam",
    "ChatIntegration",
    "FiringOutcome",
    "Incident",
    "IncidentTicket",
    "Notification",
    "RoutingRule",
    "SlaPolicy",
    "SlaTarget",
    "TeamAssignment",
    "TicketSla",
    "TicketSlaPause",
    "TimeRuleMark",
    "TimeRuleSetting",
    "Trigger",
    "TriggerFiring",
    "WebhookDelivery",
    "WebhookEndpoint",
]
