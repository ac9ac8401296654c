from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "supportloop.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from supportloop.accounts.directory import connect_invalidation

        connect_invalidation()

        # Every way of signing in (the sign-in page, the admin's login, a test client) ends in Django's login(), which
        # sends user_logged_in: the one hook that sees them all. The handler sets the session's pending two-factor
        # step and writes its row in the list of sessions and the audit event (accounts/signin.py).
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from supportloop.accounts.signin import signed_in, signed_out

        user_logged_in.connect(
            lambda sender, request, user, **kwargs: signed_in(request, user), weak=False, dispatch_uid="sl-signed-in"
        )
        user_logged_out.connect(
            lambda sender, request, user, **kwargs: signed_out(request, user), weak=False, dispatch_uid="sl-signed-out"
        )
