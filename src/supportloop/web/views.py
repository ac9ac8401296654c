from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from supportloop.tickets import selectors


@login_required
def inbox(request: HttpRequest) -> HttpResponseBase:
    rows, next_cursor = selectors.ticket_page(filters=selectors.TicketFilters(active=True), limit=50)
    return render(request, "web/inbox.html", {"tickets": rows, "next_cursor": next_cursor})
