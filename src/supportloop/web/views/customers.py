"""Company and contact pages: their tickets, the feedback they gave, and internal notes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportloop.core.errors import DomainError
from supportloop.customers.models import Company, Contact, CustomerNote
from supportloop.customers.selectors import company_list, contact_list
from supportloop.customers.services import customer_note_add
from supportloop.tickets.selectors import TicketFilters
from supportloop.web import selectors
from supportloop.web.forms import NoteForm
from supportloop.web.views.common import PageRequest, feedback_ready, page

LIST_LIMIT = 50


@page("customer.view")
def customers(request: PageRequest) -> HttpResponseBase:
    q = (request.GET.get("q") or "").strip()[:200]
    companies = company_list().order_by("name", "id")
    contacts = contact_list().order_by("name", "id")
    if q:
        companies = companies.filter(Q(name__icontains=q) | Q(domains__domain__icontains=q)).distinct()
        contacts = contacts.filter(Q(name__icontains=q) | Q(emails__email__icontains=q)).distinct()
    return render(
        request,
        "web/customers/list.html",
        {
            "section": "customers",
            "q": q,
            "companies": list(companies[:LIST_LIMIT]),
            "contacts": list(contacts[:LIST_LIMIT]),
        },
    )


def _evidence(**where: Any) -> list:
    """Feedback evidence for a company or contact, newest first, with its item: one query."""
    if not feedback_ready():
        return []
    from supportloop.feedback.models import Evidence

    return list(
        Evidence.objects.filter(**where).select_related("item", "contact", "ticket").order_by("-created_at")[:30]
    )


@page("customer.view")
def company(request: PageRequest, pk: int) -> HttpResponseBase:
    obj = get_object_or_404(company_list(), pk=pk)
    page_ = selectors.inbox_page(filters=TicketFilters(company=obj.pk), limit=25)
    return render(
        request,
        "web/customers/company.html",
        {
            "section": "customers",
            "company": obj,
            "tickets": page_.rows,
            "contacts": list(contact_list().filter(company=obj).order_by("name", "id")[:LIST_LIMIT]),
            "notes": list(CustomerNote.objects.filter(company=obj).select_related("author")[:30]),
            "evidence": _evidence(company_id=obj.pk),
            "note_form": NoteForm(),
        },
    )


@page("customer.view")
def contact(request: PageRequest, pk: int) -> HttpResponseBase:
    obj = get_object_or_404(contact_list(), pk=pk)
    page_ = selectors.inbox_page(filters=TicketFilters(requester=obj.pk), limit=25)
    return render(
        request,
        "web/customers/contact.html",
        {
            "section": "customers",
            "contact": obj,
            "tickets": page_.rows,
            "notes": list(CustomerNote.objects.filter(contact=obj).select_related("author")[:30]),
            "evidence": _evidence(contact_id=obj.pk),
            "note_form": NoteForm(),
            "now": timezone.now(),
        },
    )


@require_POST
@page("customer.write")
def note_add(request: PageRequest, kind: str, pk: int) -> HttpResponseBase:
    if kind not in ("company", "contact"):
        raise Http404(kind)
    target = get_object_or_404(Company if kind == "company" else Contact, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            customer_note_add(
                body=form.cleaned_data["body"],
                author=request.user,
                company=target if isinstance(target, Company) else None,
                contact=target if isinstance(target, Contact) else None,
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Note added."))
    else:
        messages.error(request, _("A note cannot be empty."))
    return redirect("web:company" if kind == "company" else "web:contact", pk=pk)
