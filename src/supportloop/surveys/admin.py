from __future__ import annotations

from django.contrib import admin

from supportloop.core.admin_readonly import ReadOnlyAdmin
from supportloop.surveys.models import BadRating, SurveyResponse, SurveySend, SurveySettings


@admin.register(SurveySettings)
class SurveySettingsAdmin(ReadOnlyAdmin):
    pass


@admin.register(SurveySend)
class SurveySendAdmin(ReadOnlyAdmin):
    list_display = ["kind", "contact", "ticket", "status", "sent_at", "expires_at"]
    list_filter = ["kind", "status"]
    exclude = ["token_hash"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ["kind", "score", "contact", "ticket", "rated_at"]
    list_filter = ["kind"]


@admin.register(BadRating)
class BadRatingAdmin(ReadOnlyAdmin):
    list_display = ["response", "status", "reason", "handled_by"]
    list_filter = ["status", "reason"]
