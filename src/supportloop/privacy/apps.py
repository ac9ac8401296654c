from datetime import timedelta

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "supportloop.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from supportloop.core.jobs import job_register
        from supportloop.core.schedule import Job, register
        from supportloop.privacy import tasks

        job_register("privacy.retention_run", tasks.retention_run_task)
        # Once a day (the UTC date is the period); the run is idempotent, so catching up twice does no harm.
        register(
            Job(
                name="privacy.retention",
                due=tasks.retention_due,
                enqueue=tasks.retention_enqueue,
                keep_claims_for=timedelta(days=30),
            )
        )
