from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "supportloop.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        from supportloop.mail import checks, signals  # noqa: F401 - registers checks and the anymail receiver
        from supportloop.mail.tasks import on_public_reply
        from supportloop.tickets.hooks import register_public_reply_listener

        register_public_reply_listener(on_public_reply)
