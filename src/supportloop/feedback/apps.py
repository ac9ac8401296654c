from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "supportloop.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from datetime import timedelta

        from supportloop.core.schedule import Job, register
        from supportloop.feedback import signals
        from supportloop.feedback.tasks import digest_due, digest_enqueue, notices_due, notices_enqueue

        signals.connect()
        register(Job(name="feedback.weekly_digest", due=digest_due, enqueue=digest_enqueue,
                     keep_claims_for=timedelta(days=30)))
        register(Job(name="feedback.closing_notices", due=notices_due, enqueue=notices_enqueue,
                     keep_claims_for=timedelta(days=1)))
