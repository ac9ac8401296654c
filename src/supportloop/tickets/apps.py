from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "supportloop.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from supportloop.tickets.taxonomy_index import connect_invalidation

        connect_invalidation()
