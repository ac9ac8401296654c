"""The admin's read-only view of rows that only services may write (rules, deliveries, survey answers, shifts):
operators look, the services and their audit events stay the only way in."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
