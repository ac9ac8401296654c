from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "supportloop.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from datetime import timedelta

        from supportloop.core.schedule import Job, register
        from supportloop.tickets.rollups import connect_rebuild_on_delete
        from supportloop.tickets.tasks import wake_due, wake_enqueue
        from supportloop.tickets.taxonomy_index import connect_invalidation

        connect_invalidation()
        connect_rebuild_on_delete()
        # Snoozed tickets wake within a minute of their time (the demo's scheduler thread runs this too).
        register(
            Job(name="tickets.wake_snoozed", due=wake_due, enqueue=wake_enqueue, keep_claims_for=timedelta(days=1))
        )
