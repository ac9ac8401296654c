from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "supportloop.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from supportloop.feedback import signals

        signals.connect()
