"""Incident pages: the ticket page's incident panel (a fragment the page loads lazily with htmx, offering the
incident's macro), and the incidents pages of admins and leads: the list with the declare form, one incident with
its linked tickets, linking and unlinking by hand, and resolving after a preview of the bulk reply."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from supportloop.accounts.permissions import can
from supportloop.automation.choices import IncidentStatus
from supportloop.automation.selectors import incidents as selectors
from supportloop.automation.services import incidents as services
from supportloop.core.errors import DomainError
from supportloop.tickets.models import ProductArea
from supportloop.tickets.selectors import ticket_get
from supportloop.web.forms import add_domain_error
from supportloop.web.views.common import PageRequest, int_or_none, page


class DeclareForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=services.TITLE_MAX)
    product_area = forms.ModelChoiceField(
        label=gettext_lazy("Affected product area"), queryset=ProductArea.objects.none(), required=False
    )
    keywords = forms.CharField(
        label=gettext_lazy("Keywords"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Comma-separated. New tickets that mention one (in the area, if given) are linked."),
    )
    customer_text = forms.CharField(
        label=gettext_lazy("Customer-facing text"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_area"].queryset = ProductArea.objects.order_by("name")  # type: ignore[attr-defined]

    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.cleaned_data["keywords"].split(",") if k.strip()]


@page("ticket.view")
def ticket_incident(request: PageRequest, number: int) -> HttpResponseBase:
    """The incident panel of one ticket: the incidents it is linked to and, while one is open, its macro."""
    ticket = ticket_get(number=number)
    links = selectors.ticket_incident_links(ticket_id=ticket.pk)
    linked_ids = {link.incident_id for link in links}
    manage = can(request.user, "incident.manage")
    others = [i for i in services.open_incidents() if i.id not in linked_ids] if manage else []
    return render(
        request,
        "web/partials/ticket_incident.html",
        {
            "ticket": ticket,
            "links": links,
            "others": others,
            "manage": manage,
            "can_reply": can(request.user, "ticket.reply"),
        },
    )


@page("incident.manage")
def incidents(request: PageRequest) -> HttpResponseBase:
    """Every incident, newest first, and the form that declares one."""
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_declare(
                actor=request.user,
                title=form.cleaned_data["title"],
                customer_text=form.cleaned_data["customer_text"],
                product_area=form.cleaned_data["product_area"],
                keywords=form.keyword_list(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Incident declared."))
            return redirect("web:incident", incident.pk)
    rows = list(selectors.incident_list()[:200])
    return render(request, "web/settings/incidents.html", {"section": "settings", "form": form, "incidents": rows})


@page("incident.manage")
def incident(request: PageRequest, pk: int) -> HttpResponseBase:
    """One incident: its linked tickets (with whether each got the resolution reply), linking by hand, and the
    resolve form; posting it with `preview` shows how many tickets get which text before anything is sent."""
    item = selectors.incident_get(incident_id=pk)
    preview = None
    reply_text = (request.POST.get("reply_text") or "").strip() or None
    if request.method == "POST" and item.status == IncidentStatus.DECLARED:
        try:
            if request.POST.get("confirm") == "1":
                services.incident_resolve(incident=item, actor=request.user, reply_text=reply_text)
                messages.success(request, _("Incident resolved. The reply goes out in the background."))
                return redirect("web:incident", pk)
            preview = services.incident_resolve_preview(incident=item, reply_text=reply_text)
        except DomainError as exc:
            messages.error(request, exc.detail)
    context = {
        "section": "settings",
        "incident": item,
        "links": selectors.incident_tickets(incident=item),
        "progress": services.incident_reply_progress(incident=item),
        "preview": preview,
        "preview_line": ngettext(
            "%(count)s linked ticket will get this reply:",
            "%(count)s linked tickets will get this reply:",
            preview.tickets,
        )
        % {"count": preview.tickets}
        if preview
        else "",
        "reply_text": reply_text or item.customer_text,
    }
    return render(request, "web/settings/incident.html", context)


@require_POST
@page("incident.manage")
def incident_link(request: PageRequest, pk: int) -> HttpResponseBase:
    """Link (action=link) or unlink (action=unlink) the ticket numbered `ticket`; back to `next` or the incident."""
    item = selectors.incident_get(incident_id=pk)
    number = int_or_none(request.POST.get("ticket"))
    if number is None:
        messages.error(request, _("Give a ticket number."))
        return redirect("web:incident", pk)
    try:
        ticket = ticket_get(number=number)
        if request.POST.get("action") == "unlink":
            services.incident_ticket_unlink(incident=item, ticket=ticket, actor=request.user)
            messages.success(request, _("Ticket #%(n)s taken off the incident.") % {"n": number})
        else:
            services.incident_ticket_link(incident=item, ticket=ticket, actor=request.user)
            messages.success(request, _("Ticket #%(n)s linked to the incident.") % {"n": number})
    except DomainError as exc:
        messages.error(request, exc.detail)
    if request.POST.get("back") == "ticket":
        return redirect("web:ticket", number)
    return redirect("web:incident", pk)
