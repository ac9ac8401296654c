"""Reads of companies and contacts shared by the pages and the API."""
from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from supportloop.customers.models import Company, CompanyDomain, Contact, ContactEmail


def company_list() -> QuerySet[Company]:
    return Company.objects.prefetch_related(Prefetch("domains", queryset=CompanyDomain.objects.order_by("domain")))


def contact_list() -> QuerySet[Contact]:
    return Contact.objects.select_related("company").prefetch_related(
        Prefetch("emails", queryset=ContactEmail.objects.order_by("id")))
