"""The caller's own in-app notifications (automation's trigger and time-rule "notify"): list them (keyset pages,
optionally unread only), mark one read, mark all read. Another user's notification is a 404 like a missing one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, PathId
from supportloop.api.schemas.customers import PageQuery
from supportloop.automation.models import Notification
from supportloop.automation.selectors import notifications as selectors
from supportloop.automation.services import notifications as services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    text: str
    source: str
    created_at: datetime
    read_at: datetime | None
    ticket_number: int | None = Field(None, description="the ticket it is about, if any")
    ticket_subject: str | None = None

    @classmethod
    def from_notification(cls, n: Notification) -> dict[str, Any]:
        return {
            "id": n.pk,
            "text": n.text,
            "source": n.source,
            "created_at": n.created_at,
            "read_at": n.read_at,
            "ticket_number": n.ticket.number if n.ticket else None,
            "ticket_subject": n.ticket.subject if n.ticket else None,
        }


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class NotificationListQuery(PageQuery):
    unread: bool = Field(False, description="only unread ones")


class ReadAllOut(Schema):
    marked: int = Field(..., description="notifications marked read by this call")


@router.get(
    "",
    response={200: NotificationPageOut, **PROBLEMS},
    summary="List your own notifications, newest first",
    operation_id="notifications_list",
)
def notification_list(request: ApiRequest, query: Query[NotificationListQuery]) -> dict[str, Any]:
    require(request.auth, "notification.own")
    rows, next_cursor = selectors.notification_page(
        user_id=request.auth.pk, unread=query.unread, cursor=query.cursor, limit=query.limit
    )
    return {
        "items": [NotificationOut.from_notification(n) for n in rows],
        "next_cursor": next_cursor,
        "unread_count": services.unread_count(user_id=request.auth.pk),
    }


@router.post(
    "/read-all",
    response={200: ReadAllOut, **PROBLEMS},
    summary="Mark all your notifications read",
    operation_id="notifications_read_all",
)
def notification_read_all(request: ApiRequest) -> dict[str, int]:
    require(request.auth, "notification.own")
    return {"marked": services.notifications_mark_all_read(user=request.auth)}


@router.post(
    "/{int:notification_id}/read",
    response={200: NotificationOut, **PROBLEMS},
    summary="Mark one of your notifications read",
    operation_id="notification_read",
)
def notification_read(request: ApiRequest, notification_id: PathId) -> dict[str, Any]:
    require(request.auth, "notification.own")
    item = selectors.notification_get(user_id=request.auth.pk, notification_id=notification_id)
    services.notification_mark_read(notification=item, actor=request.auth)
    return NotificationOut.from_notification(item)
