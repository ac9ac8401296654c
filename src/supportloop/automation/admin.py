"""Read-only admin views of automation: rules, policies and calendars are edited in Settings (or the API), whose
services validate them and write the audit event; the SLA clocks and assignment state are written by the engine."""

from django.contrib import admin

from supportloop.automation.models import (
    AgentProfile,
    BusinessCalendar,
    BusinessCalendarTeam,
    ChatIntegration,
    Incident,
    IncidentTicket,
    Notification,
    RoutingRule,
    SlaPolicy,
    SlaTarget,
    TeamAssignment,
    TicketSla,
    TicketSlaPause,
    TimeRuleMark,
    TimeRuleSetting,
    Trigger,
    TriggerFiring,
    WebhookDelivery,
    WebhookEndpoint,
)
from supportloop.core.admin_readonly import ReadOnlyAdmin
from supportloop.feedback.models import ShipProposal, TrackerDelivery

ReadOnly = ReadOnlyAdmin


@admin.register(RoutingRule)
class RoutingRuleAdmin(ReadOnly):
    list_display = ["name", "position", "is_active", "team", "priority", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(TeamAssignment)
class TeamAssignmentAdmin(ReadOnly):
    list_display = ["team", "method", "require_skills", "default_capacity", "on_agent_away"]


@admin.register(AgentProfile)
class AgentProfileAdmin(ReadOnly):
    list_display = ["user", "is_away", "away_since", "capacity"]
    list_filter = ["is_away"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ReadOnly):
    list_display = ["name", "time_zone", "holidays_country", "holidays_subdivision", "is_default"]


@admin.register(BusinessCalendarTeam)
class BusinessCalendarTeamAdmin(ReadOnly):
    list_display = ["calendar", "team"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ReadOnly):
    list_display = ["name", "position", "is_active", "business_hours", "warn_before_minutes"]
    list_filter = ["is_active"]


@admin.register(SlaTarget)
class SlaTargetAdmin(ReadOnly):
    list_display = ["policy", "priority", "first_response_minutes", "next_response_minutes", "resolution_minutes"]


@admin.register(TicketSla)
class TicketSlaAdmin(ReadOnly):
    list_display = ["ticket", "policy", "first_response_due_at", "resolution_due_at", "next_check_at"]
    raw_id_fields = ["ticket"]


@admin.register(TicketSlaPause)
class TicketSlaPauseAdmin(ReadOnly):
    list_display = ["ticket_sla", "status", "started_at", "ended_at", "business_seconds"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnly):
    list_display = ["url", "enabled", "consecutive_failures", "disabled_at", "created_at"]
    list_filter = ["enabled"]
    exclude = ["secret"]


@admin.register(ChatIntegration)
class ChatIntegrationAdmin(ReadOnly):
    list_display = ["name", "kind", "enabled", "updated_at"]
    exclude = ["webhook_url"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ["uid", "event_type", "endpoint", "chat_integration", "status", "attempts", "last_response_code"]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint", "chat_integration"]


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    list_display = ["title", "status", "product_area", "declared_by", "declared_at", "resolved_at"]
    list_filter = ["status"]
    search_fields = ["title"]


@admin.register(IncidentTicket)
class IncidentTicketAdmin(ReadOnly):
    list_display = ["incident", "ticket", "source", "linked_at", "reply_sent_at"]
    list_filter = ["source"]


@admin.register(TrackerDelivery)
class TrackerDeliveryAdmin(ReadOnly):
    """Every tracker webhook delivery, refused ones (bad signature) included: where an operator looks when a
    tracker's closes do not arrive, or someone is knocking with forged ones."""

    list_display = ["received_at", "tracker", "outcome", "event", "delivery_id", "address", "detail"]
    list_filter = ["tracker", "outcome"]
    search_fields = ["delivery_id", "detail"]


@admin.register(ShipProposal)
class ShipProposalAdmin(ReadOnly):
    list_display = ["item", "tracker", "issue", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "tracker"]


@admin.register(Trigger)
class TriggerAdmin(ReadOnly):
    list_display = ["position", "name", "is_active", "created_by"]
    list_filter = ["is_active"]


@admin.register(TriggerFiring)
class TriggerFiringAdmin(ReadOnly):
    list_display = ["at", "trigger", "ticket", "outcome", "event_kind"]
    list_filter = ["outcome"]
    list_select_related = ["trigger"]


@admin.register(TimeRuleMark)
class TimeRuleMarkAdmin(ReadOnly):
    list_display = ["created_at", "rule", "ticket", "occurrence"]
    list_filter = ["rule"]


@admin.register(TimeRuleSetting)
class TimeRuleSettingAdmin(ReadOnly):
    list_display = ["rule", "is_enabled", "after_minutes", "updated_at"]


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ["created_at", "user", "ticket", "source", "read_at"]
