from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "supportloop.tickets"
    label = "tickets"
    verbose_name = "Tickets"
