from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "supportloop.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        from datetime import timedelta

        from supportloop.core import health
        from supportloop.core.schedule import Job, register
        from supportloop.mail import checks, signals  # noqa: F401 - registers checks and the anymail receiver
        from supportloop.mail.health import check_mail_poll, check_quarantine
        from supportloop.mail.tasks import on_public_reply, poll_due, poll_enqueue
        from supportloop.tickets.hooks import register_public_reply_listener

        register_public_reply_listener(on_public_reply)
        register(Job(name="mail.poll", due=poll_due, enqueue=poll_enqueue, keep_claims_for=timedelta(days=1)))
        health.register("mail_poll", check_mail_poll)
        health.register("quarantine", check_quarantine)
