from django.urls import path

from supportloop.web.views import team as views

app_name = "team"

urlpatterns = [
    path("", views.rotation, name="rotation"),
    path("generate/", views.generate, name="generate"),
    path("members/", views.member_set, name="member_set"),
    path("shifts/", views.shift_set, name="shift_set"),
    path("shifts/<int:pk>/swap/", views.shift_swap, name="shift_swap"),
    path("shifts/<int:pk>/propose/", views.swap_propose, name="swap_propose"),
    path("swaps/<int:pk>/answer/", views.swap_answer, name="swap_answer"),
    path("patterns/", views.pattern_save, name="pattern_save"),
    path("my-reminders/", views.my_reminders, name="my_reminders"),
    path("time-off/", views.time_off_add, name="time_off_add"),
    path("calendar/rotate/", views.feed_rotate, name="feed_rotate"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("duty/", views.duty, name="duty"),
    path("forecast/", views.forecast, name="forecast"),
    path("forecast.csv", views.forecast_csv, name="forecast_csv"),
    path("forecast/events/", views.planned_event_add, name="planned_event_add"),
    path("shadowing/", views.shadowing, name="shadowing"),
    path("shadowing/slots/", views.shadow_slot_offer, name="shadow_slot_offer"),
    path("shadowing/slots/<int:pk>/signup/", views.shadow_signup, name="shadow_signup"),
    path("shadowing/signups/<int:pk>/debrief/", views.shadow_debrief, name="shadow_debrief"),
    path("shadowing/findings/<int:pk>/file/", views.shadow_finding_file, name="shadow_finding_file"),
]
