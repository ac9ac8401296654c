"""Working together on tickets (issue 12): composer drafts, presence heartbeats, the inbox rows' presence and
draft marks, and undo send. Thin: each view calls one service or read."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from supportloop.core.errors import DomainError
from supportloop.core.lookup import object_or_404
from supportloop.tickets import selectors as ticket_selectors
from supportloop.tickets.presence import VIEWING, presence_leave, presence_touch
from supportloop.tickets.services import draft_discard, draft_save, reply_withdraw
from supportloop.web.collab import collab_others, inbox_collab
from supportloop.web.views.common import PageRequest, int_or_none, page

INBOX_MARKS_MAX = 200  # rows a page can ask about at once


@require_POST
@page("ticket.note")
def draft_autosave(request: PageRequest, number: int) -> HttpResponseBase:
    """The composer's debounced autosave (app's collab.js): 204, or 204 after deleting when the text is blank."""
    ticket = ticket_selectors.ticket_get(number=number)
    draft_save(
        ticket=ticket, user=request.user, body=request.POST.get("body", ""), kind=request.POST.get("kind", "reply")
    )
    presence_touch(number=number, user_id=request.user.pk, name=request.user.display_name, state="replying")
    return HttpResponse(status=204)


@require_POST
@page("ticket.note")
def draft_throw_away(request: PageRequest, number: int) -> HttpResponseBase:
    """Discard: the draft is deleted and the composer comes back empty."""
    ticket = ticket_selectors.ticket_get(number=number)
    draft_discard(ticket=ticket, user=request.user)
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    messages.success(request, _("Draft discarded."))
    return redirect("web:ticket", number=number)


@require_POST
@page("ticket.view")
def presence_beat(request: PageRequest, number: int) -> HttpResponseBase:
    """Heartbeat every ~10 s from an open ticket page (state: viewing, replying or left); answers with the
    presence line the page shows."""
    state = request.POST.get("state", VIEWING)
    if state == "left":
        presence_leave(number=number, user_id=request.user.pk)
        return HttpResponse(status=204)
    ticket = ticket_selectors.ticket_get(number=number)
    presence_touch(number=number, user_id=request.user.pk, name=request.user.display_name, state=state)
    drafts = ticket_selectors.ticket_drafts(ticket_id=ticket.pk)
    others = collab_others(number=number, user=request.user, drafts=drafts)
    return render(request, "web/partials/presence.jinja", others, using="jinja2")


@require_GET
@page("ticket.view")
def inbox_marks(request: PageRequest) -> HttpResponseBase:
    """The inbox rows' presence icons and "Draft" marks, polled by collab.js: ?n=<number>&n=..."""
    numbers = [n for n in (int_or_none(v) for v in request.GET.getlist("n")[:INBOX_MARKS_MAX]) if n is not None]
    return JsonResponse({"marks": inbox_collab(numbers=numbers, user=request.user)})


@require_POST
@page("ticket.reply")
def reply_undo(request: PageRequest, number: int, message_id: int) -> HttpResponseBase:
    """Undo send: the held reply is withdrawn and its text is back in the composer (as the agent's draft)."""
    ticket = ticket_selectors.ticket_get(number=number)
    message = object_or_404(ticket_selectors.ticket_messages(ticket=ticket), pk=message_id)
    try:
        reply_withdraw(message=message, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Reply withdrawn: it is back in the composer."))
    return redirect("web:ticket", number=number)
