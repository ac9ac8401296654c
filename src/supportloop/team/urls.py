from django.urls import path

from supportloop.team import views

app_name = "team"

urlpatterns = [
    path("", views.rotation, name="rotation"),
    path("generate/", views.generate, name="generate"),
    path("members/", views.member_set, name="member_set"),
    path("shifts/", views.shift_set, name="shift_set"),
    path("shifts/<int:pk>/swap/", views.shift_swap, name="shift_swap"),
    path("time-off/", views.time_off_add, name="time_off_add"),
    path("calendar/rotate/", views.feed_rotate, name="feed_rotate"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("duty/", views.duty, name="duty"),
    path("forecast/", views.forecast, name="forecast"),
    path("forecast.csv", views.forecast_csv, name="forecast_csv"),
    path("forecast/events/", views.planned_event_add, name="planned_event_add"),
]
