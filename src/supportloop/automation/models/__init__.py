"""Automation's models, one module per part (triggers, time rules, SLAs and business hours, routing and
assignment, webhooks and integrations), all re-exported here for Django."""

from supportloop.automation.models.routing import AgentProfile, RoutingRule, TeamAssignment

__all__ = ["AgentProfile", "RoutingRule", "TeamAssignment"]
