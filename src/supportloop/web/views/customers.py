"""Company and contact pages: their tickets, the feedback they gave, and internal notes."""

from __future__ import annotations

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportloop.accounts.permissions import can
from supportloop.core.errors import DomainError
from supportloop.core.lookup import object_or_404
from supportloop.customers.models import Company, Contact
from supportloop.customers.selectors import (
    company_contacts,
    company_list,
    company_or_contact,
    contact_list,
    customer_notes,
    customers_search,
)
from supportloop.customers.services import customer_note_add
from supportloop.feedback.selectors import evidence_for_customer
from supportloop.privacy.selectors import contact_hold
from supportloop.tickets.selectors import TicketFilters
from supportloop.web import selectors
from supportloop.web.forms import NoteForm
from supportloop.web.views.common import PageRequest, page
from supportloop.web.views.privacy import ERASE_WORD

LIST_LIMIT = 50


@page("customer.view")
def customers(request: PageRequest) -> HttpResponseBase:
    q = (request.GET.get("q") or "").strip()[:200]
    companies, contacts = customers_search(q=q, limit=LIST_LIMIT)
    return render(
        request,
        "web/customers/list.html",
        {
            "section": "customers",
            "q": q,
            "companies": companies,
            "contacts": contacts,
        },
    )


@page("customer.view")
def company(request, pk: int):
    obj = object_or_404(company_list(), pk=pk)
    page_ = selectors.inbox_page(filters=TicketFilters(company=obj.pk), limit=25)
    return render(
        request,
        "web/customers/company.html",
        {
            "section": "customers",
            "company": obj,
            "tickets": page_.rows,
            "contacts": company_contacts(company=obj, limit=LIST_LIMIT),
            "notes": list(customer_notes(company=obj)[:30]),
            "evidence": evidence_for_customer(company_id=obj.pk),
            "note_form": NoteForm(),
        },
    )


@page("customer.view")
def contact(request, pk: int):
    obj = object_or_404(contact_list(), pk=pk)
    can_privacy = can(request.user, "privacy.manage")
    page_ = selectors.inbox_page(filters=TicketFilters(requester=obj.pk), limit=25)
    return render(
        request,
        "web/customers/contact.html",
        {
            "section": "customers",
            "contact": obj,
            "tickets": page_.rows,
            "notes": list(customer_notes(contact=obj)[:30]),
            "evidence": evidence_for_customer(contact_id=obj.pk),
            "note_form": NoteForm(),
            "now": timezone.now(),
            "can_privacy": can_privacy,
            "legal_hold": contact_hold(contact=obj) if can_privacy else None,
            "erase_word": ERASE_WORD,
        },
    )


@require_POST
@page("customer.write")
def note_add(request, kind: str, pk: int):
    target = company_or_contact(kind=kind, pk=pk)
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
