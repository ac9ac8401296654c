from django.urls import path

from supportloop.surveys import views

app_name = "surveys"

urlpatterns = [
    path("r/<str:token>/", views.answer, name="answer"),
    path("bad-ratings/", views.bad_ratings, name="bad_ratings"),
    path("bad-ratings/<int:pk>/", views.bad_rating_review, name="bad_rating_review"),
]
