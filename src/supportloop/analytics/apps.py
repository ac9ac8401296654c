from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "supportloop.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from supportloop.analytics import tasks

        tasks.connect()
