from django.contrib import admin

from supportloop.web.models import InboxPreference, SavedView


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "query", "position", "created_at"]
    list_filter = ["user"]
    search_fields = ["name", "query", "user__username"]
    raw_id_fields = ["user"]


@admin.register(InboxPreference)
class InboxPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "view", "sort", "updated_at"]
    raw_id_fields = ["user"]
