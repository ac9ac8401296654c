from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "supportloop.accounts"
    label = "accounts"
    verbose_name = "Accounts"
