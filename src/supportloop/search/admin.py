"""Read-only admin views of the search index (rows are written by search.engine only)."""

from django.contrib import admin

from supportloop.search.models import RebuildProgress, SearchDocument


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SearchDocument)
class SearchDocumentAdmin(ReadOnly):
    list_display = ["kind", "object_id", "language", "title", "sort_at"]
    list_filter = ["kind", "language"]
    search_fields = ["title"]
    exclude = ["vector"]


@admin.register(RebuildProgress)
class RebuildProgressAdmin(ReadOnly):
    list_display = ["kind", "last_id", "total", "started_at", "finished_at"]
