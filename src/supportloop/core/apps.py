from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "supportloop.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from supportloop.core import checks  # noqa: F401  (registers system checks)
