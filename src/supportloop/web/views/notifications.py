"""The signed-in user's in-app notifications (automation's trigger and time-rule "notify"): the list, newest first,
unread ones highlighted, a "mark read" button per unread row (htmx swaps the row), and "mark all read"."""

from __future__ import annotations

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supportloop.automation.selectors import notifications as selectors
from supportloop.automation.services import notifications as services
from supportloop.web.views.common import PageRequest, page, safe_next

PAGE_SIZE = 100


@page("notification.own")
def notifications(request: PageRequest) -> HttpResponseBase:
    rows = selectors.notifications_latest(user_id=request.user.pk, limit=PAGE_SIZE)
    unread = sum(1 for n in rows if n.read_at is None)
    return render(
        request,
        "web/notifications.html",
        {"section": "notifications", "notifications": rows, "unread": unread, "limit": PAGE_SIZE},
    )


@require_POST
@page("notification.own")
def notification_read(request: PageRequest, pk: int) -> HttpResponseBase:
    """Mark one of the user's notifications read: with `open`, then go to its ticket; htmx gets the row back; a
    plain form goes back to `next`."""
    item = selectors.notification_get(user_id=request.user.pk, notification_id=pk)
    services.notification_mark_read(notification=item, actor=request.user)
    if request.POST.get("open") and item.ticket is not None:
        return redirect("web:ticket", item.ticket.number)
    if getattr(request, "htmx", False):
        return render(request, "web/partials/notification_row.html", {"n": item})
    return redirect(safe_next(request, "/notifications/"))


@require_POST
@page("notification.own")
def notifications_read_all(request: PageRequest) -> HttpResponseBase:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext("%(count)s notification marked read.", "%(count)s notifications marked read.", count)
        % {"count": count},
    )
    return redirect("web:notifications")
