from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "supportloop.mail"
    label = "mail"
    verbose_name = "Mail"
