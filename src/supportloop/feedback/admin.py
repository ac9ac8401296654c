"""Admin for every feedback model. Admins edit the pick-lists, templates and score weights here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models

from supportloop.feedback.models import (
    BugReport,
    ClosingNotice,
    DigestDelivery,
    EngineeringLink,
    Evidence,
    FeedbackItem,
    FeedbackSettings,
    ItemPlanStats,
    ItemStats,
    ItemWeek,
    NoticeTemplate,
    PickListOption,
    StatusChange,
)

URL_FIELD: dict[type[models.Field[Any, Any]], dict[str, Any]] = {models.URLField: {"assume_scheme": "https"}}


class EvidenceInline(admin.TabularInline):
    model = Evidence
    fk_name = "item"
    extra = 0
    fields = (
        "created_at",
        "contact",
        "company",
        "company_plan",
        "company_mrr",
        "importance",
        "ticket",
        "source",
        "quote",
        "linked_by",
        "linked_at",
    )
    raw_id_fields = ("contact", "company", "ticket", "message", "linked_by")
    readonly_fields = ("company_plan", "company_mrr")


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    readonly_fields = ("from_status", "to_status", "actor", "note", "created_at")
    can_delete = False


class LinkInline(admin.TabularInline):
    model = EngineeringLink
    extra = 0
    formfield_overrides = URL_FIELD


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "kind", "status", "product_area", "owner", "is_public", "updated_at")
    list_filter = ("kind", "status", "is_public", "product_area")
    search_fields = ("title", "problem")
    raw_id_fields = ("owner", "merged_into", "created_by", "product_feature")
    inlines = [LinkInline, StatusChangeInline, EvidenceInline]


@admin.register(BugReport)
class BugReportAdmin(admin.ModelAdmin):
    list_display = ("item", "severity", "frequency", "version", "environment_browser", "environment_os")
    list_filter = ("severity", "frequency", "environment_plan")
    raw_id_fields = ("item", "ticket")
    filter_horizontal = ("attachments",)


@admin.register(PickListOption)
class PickListOptionAdmin(admin.ModelAdmin):
    list_display = ("field", "value", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("field", "is_active")


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ("id", "item", "contact", "company", "importance", "source", "created_at")
    list_filter = ("importance",)
    raw_id_fields = ("item", "ticket", "message", "contact", "company", "linked_by", "merged_from")


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ("item", "from_status", "to_status", "actor", "created_at")
    raw_id_fields = ("item", "actor")


@admin.register(EngineeringLink)
class EngineeringLinkAdmin(admin.ModelAdmin):
    list_display = ("item", "tracker", "key", "url")
    raw_id_fields = ("item",)
    formfield_overrides = URL_FIELD


@admin.register(ItemStats)
class ItemStatsAdmin(admin.ModelAdmin):
    list_display = ("item", "mentions", "unique_contacts", "unique_companies", "mrr", "last_heard")
    raw_id_fields = ("item",)


@admin.register(ItemPlanStats)
class ItemPlanStatsAdmin(admin.ModelAdmin):
    list_display = ("item", "plan", "mentions", "unique_contacts", "unique_companies", "mrr", "last_heard")
    list_filter = ("plan",)
    raw_id_fields = ("item",)


@admin.register(ItemWeek)
class ItemWeekAdmin(admin.ModelAdmin):
    list_display = ("item", "week_start", "mentions")
    raw_id_fields = ("item",)


@admin.register(FeedbackSettings)
class FeedbackSettingsAdmin(admin.ModelAdmin):
    list_display = ("workspace_name", "w_contacts", "w_companies", "w_mrr", "w_blockers", "w_trend")

    def has_add_permission(self, request):
        return not FeedbackSettings.objects.exists()


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "language", "subject")
    list_filter = ("kind", "language")


@admin.register(ClosingNotice)
class ClosingNoticeAdmin(admin.ModelAdmin):
    """Who was told about which item: queued, sent, failed (with the attempts and the last error)."""

    list_display = (
        "item",
        "contact",
        "kind",
        "status",
        "email",
        "attempts",
        "attempted_at",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("kind", "status")
    raw_id_fields = ("item", "contact", "ticket")
    readonly_fields = ("message_id",)


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    """Who got which week's digest, and the error of a mail that has not gone out yet."""

    list_display = ("week_start", "user", "sent_at", "error")
    list_filter = ("week_start",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
