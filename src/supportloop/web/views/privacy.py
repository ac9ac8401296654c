"""Privacy pages (admins): a contact's data export, legal hold and erasure from the contact page, and the
retention settings."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from supportloop.core.errors import DomainError
from supportloop.core.lookup import object_or_404
from supportloop.customers.selectors import contact_list
from supportloop.privacy import selectors, services
from supportloop.privacy.choices import RetentionAction
from supportloop.privacy.services import RETENTION_MIN_DAYS
from supportloop.web.views.common import PageRequest, page

ERASE_WORD = "ERASE"


class RetentionForm(forms.Form):
    enabled = forms.BooleanField(label=gettext_lazy("Apply retention every day"), required=False)
    days = forms.IntegerField(
        label=gettext_lazy("Keep closed tickets for (days)"), min_value=RETENTION_MIN_DAYS, max_value=36500
    )
    action = forms.ChoiceField(label=gettext_lazy("Then"), choices=RetentionAction.choices)


@page("privacy.manage")
def contact_export(request: PageRequest, pk: int) -> HttpResponseBase:
    contact = object_or_404(contact_list(), pk=pk)
    document = services.contact_export(contact=contact, actor=request.user)
    response = HttpResponse(
        json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    return response


@require_POST
@page("privacy.manage")
def contact_hold(request: PageRequest, pk: int) -> HttpResponseBase:
    contact = object_or_404(contact_list(), pk=pk)
    try:
        if request.POST.get("action") == "lift":
            if services.legal_hold_lift(contact=contact, actor=request.user):
                messages.success(request, _("Legal hold lifted."))
            else:
                messages.error(request, _("This contact has no legal hold of their own (it may be their company's)."))
        else:
            services.legal_hold_set(contact=contact, reason=request.POST.get("reason", "")[:300], actor=request.user)
            messages.success(request, _("Legal hold set: this contact cannot be erased or removed by retention."))
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("web:contact", pk=pk)


@require_POST
@page("privacy.manage")
def contact_erase(request: PageRequest, pk: int) -> HttpResponseBase:
    contact = object_or_404(contact_list(), pk=pk)
    if request.POST.get("confirm", "").strip() != ERASE_WORD:
        messages.error(request, _('Type "%(word)s" to confirm the erasure.') % {"word": ERASE_WORD})
        return redirect("web:contact", pk=pk)
    try:
        counts = services.contact_erase(
            contact=contact, actor=request.user, remove_evidence=request.POST.get("remove_evidence") == "1"
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            _("Contact erased: %(messages)s messages, %(tickets)s tickets anonymised.")
            % {"messages": counts.get("messages", 0), "tickets": counts.get("tickets", 0)},
        )
    return redirect("web:contact", pk=pk)


@page("privacy.manage")
def retention(request: PageRequest) -> HttpResponseBase:
    current = selectors.retention_settings()
    form = RetentionForm(
        request.POST or None, initial={"enabled": current.enabled, "days": current.days, "action": current.action}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_settings_update(data=form.cleaned_data, actor=request.user)
        except DomainError as exc:
            for field, error in exc.errors.items():
                form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Retention settings saved."))
            return redirect("web:retention")
    return render(
        request,
        "web/settings/retention.html",
        {"section": "settings", "form": form, "current": current, "erase_word": ERASE_WORD},
    )
