"""The webhooks settings page (admins): endpoints with their recent deliveries (response codes, errors), Slack and
Teams integrations, and the buttons that ping an endpoint, re-send a delivery, enable, disable or delete."""

from __future__ import annotations

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportloop.automation.selectors.webhooks import (
    chat_integration_get,
    chat_integration_list,
    webhook_delivery_get,
    webhook_endpoint_get,
    webhook_endpoint_list,
    webhook_recent_deliveries,
)
from supportloop.automation.services.webhooks import (
    chat_integration_create,
    chat_integration_delete,
    chat_integration_update,
    webhook_delivery_resend,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_ping,
)
from supportloop.core.errors import DomainError
from supportloop.web.forms import add_domain_error
from supportloop.web.views.common import PageRequest, page
from supportloop.web.webhook_forms import ChatIntegrationEditForm, ChatIntegrationForm, EndpointForm

LOG_ROWS = 10  # recent deliveries shown per endpoint; the API pages through the rest


@page("webhook.manage")
def webhooks(request: PageRequest) -> HttpResponseBase:
    endpoint_form = EndpointForm(request.POST if request.POST.get("form") == "endpoint" else None)
    chat_form = ChatIntegrationForm(request.POST if request.POST.get("form") == "chat" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "endpoint" and endpoint_form.is_valid():
                webhook_endpoint_create(actor=request.user, **endpoint_form.cleaned_data)
                messages.success(request, _("Endpoint created."))
                return redirect("web:webhooks")
            if request.POST.get("form") == "chat" and chat_form.is_valid():
                chat_integration_create(actor=request.user, **chat_form.cleaned_data)
                messages.success(request, _("Integration created."))
                return redirect("web:webhooks")
        except DomainError as exc:
            add_domain_error(endpoint_form if request.POST.get("form") == "endpoint" else chat_form, exc)
    by_endpoint, by_integration = webhook_recent_deliveries(per_target=LOG_ROWS)
    endpoints = [(e, by_endpoint.get(e.pk, [])) for e in webhook_endpoint_list()]
    integrations = [(c, by_integration.get(c.pk, [])) for c in chat_integration_list()]
    return render(
        request,
        "web/settings/webhooks.html",
        {
            "section": "settings",
            "endpoint_form": endpoint_form,
            "chat_form": chat_form,
            "endpoints": endpoints,
            "integrations": integrations,
        },
    )


@page("webhook.manage")
def webhook_edit(request: PageRequest, pk: int) -> HttpResponseBase:
    """An endpoint's URL, description and events, changed through the service (checked and audited)."""
    endpoint = webhook_endpoint_get(endpoint_id=pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_endpoint_update(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:webhooks")
    return render(
        request, "web/settings/webhook_edit.html", {"section": "settings", "form": form, "title": endpoint.url}
    )


@page("webhook.manage")
def chat_integration_edit(request: PageRequest, pk: int) -> HttpResponseBase:
    """A Slack or Teams integration's name, incoming webhook URL and message template (checked and audited)."""
    integration = chat_integration_get(integration_id=pk)
    initial = {
        "name": integration.name,
        "webhook_url": integration.webhook_url,
        "message_template": integration.message_template,
    }
    form = ChatIntegrationEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            chat_integration_update(integration=integration, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:webhooks")
    return render(
        request, "web/settings/webhook_edit.html", {"section": "settings", "form": form, "title": integration.name}
    )


@require_POST
@page("webhook.manage")
def webhook_action(request: PageRequest, pk: int) -> HttpResponseBase:
    endpoint = webhook_endpoint_get(endpoint_id=pk)
    action = request.POST.get("action")
    try:
        if action == "ping":
            webhook_ping(endpoint=endpoint, actor=request.user)
            messages.success(request, _("Ping queued; its answer appears in the delivery log."))
        elif action in ("enable", "disable"):
            webhook_endpoint_update(endpoint=endpoint, actor=request.user, enabled=action == "enable")
            messages.success(request, _("Saved."))
        elif action == "rotate":
            webhook_endpoint_update(endpoint=endpoint, actor=request.user, rotate_secret=True)
            messages.success(request, _("New signing secret made; the old one no longer signs."))
        elif action == "delete":
            webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
            messages.success(request, _("Endpoint deleted."))
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("web:webhooks")


@require_POST
@page("webhook.manage")
def chat_integration_action(request: PageRequest, pk: int) -> HttpResponseBase:
    integration = chat_integration_get(integration_id=pk)
    action = request.POST.get("action")
    try:
        if action in ("enable", "disable"):
            chat_integration_update(integration=integration, actor=request.user, enabled=action == "enable")
            messages.success(request, _("Saved."))
        elif action == "delete":
            chat_integration_delete(integration=integration, actor=request.user)
            messages.success(request, _("Integration deleted."))
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("web:webhooks")


@require_POST
@page("webhook.manage")
def webhook_delivery_resend_view(request: PageRequest, pk: int) -> HttpResponseBase:
    try:
        webhook_delivery_resend(delivery=webhook_delivery_get(delivery_id=pk), actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Delivery queued again."))
    return redirect("web:webhooks")
