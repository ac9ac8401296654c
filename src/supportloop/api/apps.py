from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "supportloop.api"
    label = "api"
    verbose_name = "Api"
