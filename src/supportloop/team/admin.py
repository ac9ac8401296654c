from __future__ import annotations

from django.contrib import admin

from supportloop.core.admin_readonly import ReadOnlyAdmin
from supportloop.team.models import (
    CalendarFeed,
    PlannedEvent,
    RotationMember,
    ShadowFinding,
    ShadowSignup,
    ShadowSlot,
    Shift,
    ShiftPattern,
    ShiftReminder,
    ShiftSwap,
    SwapRequest,
    TimeOff,
)

for model in (
    RotationMember,
    TimeOff,
    Shift,
    ShiftPattern,
    ShiftSwap,
    SwapRequest,
    ShiftReminder,
    PlannedEvent,
    ShadowSlot,
    ShadowSignup,
    ShadowFinding,
):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    exclude = ["token"]
