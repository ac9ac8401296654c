from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "supportloop.quality"
    label = "quality"
    verbose_name = "Quality reviews"

    def ready(self) -> None:
        from supportloop.quality import tasks

        tasks.connect()  # the weekly sample job
