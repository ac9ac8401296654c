from __future__ import annotations

from django.contrib import admin

from supportloop.analytics.models import (
    DailyDuration,
    HourlyDimensionVolume,
    HourlyVolume,
    LeadReportDelivery,
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
