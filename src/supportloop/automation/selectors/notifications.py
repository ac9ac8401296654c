"""Reads of a user's own in-app notifications (a trigger's or a time rule's "notify"): the unread count the header
shows, the latest ones with their tickets for the page, a keyset page for the API, and one of them by id."""

from __future__ import annotations

from django.db.models import QuerySet

from supportloop.automation.models import Notification
from supportloop.core.lookup import object_or_404
from supportloop.customers.selectors import decode_id_cursor, encode_id_cursor


def notification_unread_count(*, user_id: int) -> int:
    """How many of the user's notifications are unread: one query (the user/read_at index)."""
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def notifications_of(*, user_id: int, unread: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first, each with its ticket's number and subject (one joined query)."""
    rows = Notification.objects.filter(user_id=user_id)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related("ticket").only(
        "id", "user_id", "text", "source", "created_at", "read_at", "ticket__id", "ticket__number", "ticket__subject"
    )


def notifications_latest(*, user_id: int, limit: int = 50) -> list[Notification]:
    """The user's newest `limit` notifications with their tickets' numbers and subjects: one query."""
    return list(notifications_of(user_id=user_id).order_by("-created_at", "-id")[:limit])


def notification_page(
    *, user_id: int, unread: bool = False, cursor: str | None = None, limit: int = 50
) -> tuple[list[Notification], str | None]:
    """One keyset page of the user's notifications, newest (highest id) first: one query."""
    rows = notifications_of(user_id=user_id, unread=unread)
    if cursor:
        rows = rows.filter(pk__lt=decode_id_cursor(cursor))
    found = list(rows.order_by("-id")[: limit + 1])
    next_cursor = encode_id_cursor(found[limit - 1].pk) if len(found) > limit else None
    return found[:limit], next_cursor


def notification_get(*, user_id: int, notification_id: int) -> Notification:
    """One of the user's own notifications; another user's is a 404 like a missing one."""
    return object_or_404(notifications_of(user_id=user_id), pk=notification_id)
