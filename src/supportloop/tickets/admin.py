from django.contrib import admin

from supportloop.tickets.models import (
    Attachment,
    BulkChange,
    ContactReason,
    Draft,
    Macro,
    MacroApplication,
    Message,
    ProductArea,
    ProductFeature,
    Tag,
    Ticket,
    TicketRead,
    TicketRollup,
    TicketStatusCount,
)


class ProductFeatureInline(admin.TabularInline):
    model = ProductFeature
    extra = 0


@admin.register(ProductArea)
class ProductAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position", "is_active")
    inlines = [ProductFeatureInline]


@admin.register(ProductFeature)
class ProductFeatureAdmin(admin.ModelAdmin):
    list_display = ("name", "area", "slug", "is_active")
    list_filter = ("area",)


@admin.register(ContactReason)
class ContactReasonAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_catch_all", "is_active")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ("kind", "author_type", "author_user", "author_contact", "body_text", "delivery_status", "created_at")
    raw_id_fields = ("author_user", "author_contact")
    show_change_link = True


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("number", "subject", "status", "priority", "requester", "assignee", "team", "updated_at")
    list_filter = ("status", "priority", "channel", "team")
    search_fields = ("=number", "subject")
    raw_id_fields = ("requester", "company", "assignee")
    list_select_related = ("requester", "assignee", "team")
    show_full_result_count = False
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "kind", "author_type", "delivery_status", "created_at")
    list_filter = ("kind", "author_type", "delivery_status")
    raw_id_fields = ("ticket", "author_user", "author_contact")
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("filename", "content_type", "size", "message")
    raw_id_fields = ("message",)


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "usage_count", "is_active")


@admin.register(MacroApplication)
class MacroApplicationAdmin(admin.ModelAdmin):
    list_display = ("macro", "ticket", "actor", "applied_at")
    raw_id_fields = ("ticket", "message")


@admin.register(TicketStatusCount)
class TicketStatusCountAdmin(admin.ModelAdmin):
    list_display = ("status", "count")


@admin.register(BulkChange)
class BulkChangeAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "applied", "ticket_count", "actor", "created_at", "undone_at")
    list_filter = ("source",)
    raw_id_fields = ("actor",)
    show_full_result_count = False


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin):
    list_display = ("ticket", "user", "kind", "updated_at")
    raw_id_fields = ("ticket", "user")


@admin.register(TicketRollup)
class TicketRollupAdmin(admin.ModelAdmin):
    """Read it to check a count; tickets/rollups.py rollup_rebuild() repairs it."""

    list_display = ("status", "team_key", "assignee_key", "priority", "snoozed", "count")
    list_filter = ("status", "snoozed")


@admin.register(TicketRead)
class TicketReadAdmin(admin.ModelAdmin):
    list_display = ("user", "ticket", "read_at")
    raw_id_fields = ("user", "ticket")
