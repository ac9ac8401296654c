from django.contrib import admin

from supportloop.core.admin_readonly import ReadOnlyAdmin
from supportloop.core.models import Counter, Event, EventRedaction, RateCounter, ScheduledRun


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "verb", "target_type", "target_id", "target_label")
    list_filter = ("verb", "target_type")
    search_fields = ("target_id", "target_label", "actor_label")
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ("name", "value")


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    """What the scheduler enqueued, per job and period (read-only: deleting a claim would enqueue it again)."""

    list_display = ("job", "period", "created_at")
    list_filter = ("job",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RateCounter)
class RateCounterAdmin(admin.ModelAdmin):
    """Live rate-limit windows (database store). Deleting a row lifts that limit at once, e.g. a locked-out
    account (key sign-in:account:...) or address."""

    list_display = ("key", "hits", "window_ends")
    search_fields = ("key",)

    @admin.display(description="window ends")
    def window_ends(self, obj):
        from datetime import UTC, datetime

        return datetime.fromtimestamp(obj.expires_at, tz=UTC)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EventRedaction)
class EventRedactionAdmin(ReadOnlyAdmin):
    """Which audit events a legal erasure rewrote, and by which erasure (the privacy app writes these)."""

    list_display = ("event_id", "reason", "created_at")
