from __future__ import annotations

from django.contrib import admin

from supportloop.analytics.models import (
    DailyDuration,
    DailyTagging,
    HourlyDimensionVolume,
    HourlyVolume,
    LeadReportDelivery,
    MacroApplicationFact,
    MacroDailyVolume,
    RequesterLastTicket,
    SurveyDailyVolume,
    TicketFact,
    TvLink,
)
from supportloop.core.admin_readonly import ReadOnlyAdmin


@admin.register(TicketFact)
class TicketFactAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "created_at", "channel", "first_response_seconds", "resolution_seconds", "reopens"]


@admin.register(HourlyVolume)
class HourlyVolumeAdmin(ReadOnlyAdmin):
    list_display = ["hour", "channel", "product_area_key", "contact_reason_key", "team_key", "created", "solved"]


@admin.register(TvLink)
class TvLinkAdmin(ReadOnlyAdmin):
    list_display = ["name", "dashboard", "created_by", "created_at", "expires_at", "revoked_at"]
    exclude = ["nonce"]


@admin.register(LeadReportDelivery)
class LeadReportDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["week_start", "user", "sent_at", "error"]


@admin.register(HourlyDimensionVolume)
class HourlyDimensionVolumeAdmin(ReadOnlyAdmin):
    list_display = ["hour", "dimension", "key", "created", "solved"]


@admin.register(DailyDuration)
class DailyDurationAdmin(ReadOnlyAdmin):
    list_display = ["day", "measure", "team_key", "ordering", "bucket", "count"]


@admin.register(RequesterLastTicket)
class RequesterLastTicketAdmin(ReadOnlyAdmin):
    list_display = ["dimension", "key", "requester_key", "last_created_at"]


@admin.register(MacroApplicationFact)
class MacroApplicationFactAdmin(ReadOnlyAdmin):
    list_display = ["application_id", "ticket_id", "macro_key", "day", "channel", "product_area_key"]


@admin.register(MacroDailyVolume)
class MacroDailyVolumeAdmin(ReadOnlyAdmin):
    list_display = ["day", "macro_key", "channel", "product_area_key", "contact_reason_key", "count"]


@admin.register(SurveyDailyVolume)
class SurveyDailyVolumeAdmin(ReadOnlyAdmin):
    list_display = ["window", "day", "kind", "dimension", "key", "count", "good", "bad"]


@admin.register(DailyTagging)
class DailyTaggingAdmin(ReadOnlyAdmin):
    list_display = ["day", "assignee_key", "product_area_key", "contact_reason_key", "created"]
