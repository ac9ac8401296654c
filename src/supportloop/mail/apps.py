from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "supportloop.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        from datetime import timedelta

        from supportloop.core import automail, health
        from supportloop.core.jobs import job_register
        from supportloop.core.schedule import Job, register
        from supportloop.mail import checks, signals  # noqa: F401 - registers checks and the anymail receiver
        from supportloop.mail.health import check_mail_poll, check_quarantine
        from supportloop.mail.services.guard import notice_blocked, notice_claim, refusal_is_temporary
        from supportloop.mail.tasks import (
            autoresponse_send_task,
            autoresponses_send_task,
            held_replies_due_period,
            held_replies_enqueue,
            on_public_reply,
            poll_due,
            poll_enqueue,
        )

        job_register("mail.autoresponse_send", autoresponse_send_task)
        job_register("mail.autoresponses_send", autoresponses_send_task)
        from supportloop.tickets.hooks import register_public_reply_listener

        register_public_reply_listener(on_public_reply)
        automail.register_gate(
            automail.Gate(blocked=notice_blocked, claim=notice_claim, temporary=refusal_is_temporary)
        )
        register(Job(name="mail.poll", due=poll_due, enqueue=poll_enqueue, keep_claims_for=timedelta(days=1)))
        register(
            Job(
                name="mail.held_replies",
                due=held_replies_due_period,
                enqueue=held_replies_enqueue,
                keep_claims_for=timedelta(days=1),
            )
        )
        health.register("mail_poll", check_mail_poll)
        health.register("quarantine", check_quarantine)
