"""Forms of the webhooks settings page: an endpoint (URL and event types) and a Slack or Teams integration. They
check shape; the services check the URL (https, no private addresses) and the template's placeholders."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from supportloop.automation.choices import ChatKind, WebhookEventType


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=2000, help_text=_("https only; private addresses are refused"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple
    )


class ChatIntegrationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ChatKind.choices)
    webhook_url = forms.CharField(label=_("Incoming webhook URL"), max_length=2000)
    message_template = forms.CharField(
        label=_("Message template"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="#{ticket.number} {ticket.subject} ({ticket.priority}) {ticket.url}",
        help_text=_(
            "Placeholders: {ticket.number}, {ticket.subject}, {ticket.status}, {ticket.priority}, {ticket.channel}, "
            "{ticket.url}, {ticket.team}, {ticket.assignee}, {requester.name}, {company.name}"
        ),
    )


class ChatIntegrationEditForm(ChatIntegrationForm):
    """An existing integration: its kind stays what it was made as (Slack and Teams payloads differ)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]
