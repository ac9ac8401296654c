"""The Outbox page: mail kept by the Outbox email backend in development and demo mode (mail.outbox), for
admins to read what the app sent. It does not exist (404) outside that mode."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from supportloop.web.views.common import page

OUTBOX_LIMIT = 200


@page("outbox.view")
def outbox(request):
    from supportloop.mail.selectors import outbox_messages

    if not getattr(settings, "SUPPORTLOOP_OUTBOX", False):
        raise Http404("The Outbox exists in development and demo mode only.")
    return render(
        request,
        "web/outbox.html",
        {
            "section": "outbox",
            "mails": outbox_messages(limit=OUTBOX_LIMIT),
            "limit": OUTBOX_LIMIT,
            "backend": settings.EMAIL_BACKEND,
            "is_outbox_backend": settings.EMAIL_BACKEND == "supportloop.mail.outbox.OutboxBackend",
        },
    )
