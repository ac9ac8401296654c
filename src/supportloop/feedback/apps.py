from django.apps import AppConfig


def notice_sender_addresses() -> list[str]:
    """The close-the-loop sender, when set (else notices go out from DEFAULT_FROM_EMAIL): the mail app must
    recognise mail from it as ours."""
    from supportloop.feedback.models import FeedbackSettings

    return [a for a in FeedbackSettings.objects.values_list("notice_from_email", flat=True) if a]


class FeedbackConfig(AppConfig):
    name = "supportloop.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from datetime import timedelta

        from supportloop.core.jobs import job_register
        from supportloop.core.schedule import Job, register
        from supportloop.feedback import signals, tasks
        from supportloop.feedback.tasks import digest_due, digest_enqueue, notices_due, notices_enqueue
        from supportloop.tickets.hooks import register_own_sender_provider

        job_register("feedback.close_the_loop", tasks.close_the_loop)
        job_register("feedback.send_weekly_digest", tasks.send_weekly_digest)
        signals.connect()
        register_own_sender_provider(notice_sender_addresses)
        register(
            Job(
                name="feedback.weekly_digest",
                due=digest_due,
                enqueue=digest_enqueue,
                keep_claims_for=timedelta(days=30),
            )
        )
        register(
            Job(
                name="feedback.closing_notices",
                due=notices_due,
                enqueue=notices_enqueue,
                keep_claims_for=timedelta(days=1),
            )
        )
