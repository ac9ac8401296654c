from django.contrib import admin

from supportloop.core.admin_readonly import ReadOnlyAdmin
from supportloop.privacy.models import LegalHold, RetentionSettings


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    list_display = ("contact", "company", "reason", "created_at")


@admin.register(RetentionSettings)
class RetentionSettingsAdmin(ReadOnlyAdmin):
    list_display = ("enabled", "days", "action", "last_run_at")
