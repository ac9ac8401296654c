from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "supportloop.web"
    label = "web"
    verbose_name = "Web"
