from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "supportloop.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from supportloop.surveys import tasks

        tasks.connect()
