"""Role matrix rows of the notifications API: any staff role reads and marks its own notifications."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case, World


def _own_notification(w: World) -> int:
    """A fresh unread notification of the caller (the user whose token the test just made, world.caller_token_id)."""
    from supportloop.accounts.models import ApiToken
    from supportloop.automation.models import Notification

    user_id = ApiToken.objects.values_list("user_id", flat=True).get(pk=w.caller_token_id)
    return Notification.objects.create(user_id=user_id, ticket=w.ticket, text=f"Look {w.n()}", source="test").pk


N = "/api/v1/notifications"
CASES = {
    ("GET", N): Case("notification.own", lambda w: "notifications?unread=true"),
    ("POST", f"{N}/read-all"): Case("notification.own", lambda w: "notifications/read-all", body=lambda w: {}),
    ("POST", f"{N}/{{notification_id}}/read"): Case(
        "notification.own", lambda w: f"notifications/{_own_notification(w)}/read", body=lambda w: {}
    ),
}
