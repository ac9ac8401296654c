from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "supportloop.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from supportloop.accounts.directory import connect_invalidation

        connect_invalidation()
