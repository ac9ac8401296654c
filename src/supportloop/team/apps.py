from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "supportloop.team"
    label = "team"
    verbose_name = "Team"

    def ready(self) -> None:
        from supportloop.team import tasks

        tasks.connect()  # the duty role hook, the notice task and the hourly reminder job
