"""Quality review pages (the quality app): /quality/reviews/... and the report under /reports/quality/."""

from django.urls import path

from supportloop.web.views import quality as views

app_name = "quality"

urlpatterns = [
    path("quality/reviews/", views.reviews, name="reviews"),
    path("quality/reviews/<int:pk>/", views.review_detail, name="review"),
    path("quality/scorecards/", views.scorecard_save, name="scorecard_save"),
    path("quality/settings/", views.settings_save, name="settings_save"),
    path("quality/sample/", views.sample_now, name="sample_now"),
    path("reports/quality/", views.report, name="report"),
    path("reports/quality.csv", views.report_csv, name="report_csv"),
]
