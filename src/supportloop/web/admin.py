from django.contrib import admin

from supportloop.web.models import SavedView


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "query", "position", "created_at"]
    list_filter = ["user"]
    search_fields = ["name", "query", "user__username"]
    raw_id_fields = ["user"]
