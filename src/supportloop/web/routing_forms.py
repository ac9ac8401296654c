"""Forms of the routing and assignment settings pages (web/views/automation_routing.py). They check shape only;
the services check the rest (known ids, language codes, a rule's outcome) and their errors land on the fields."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supportloop.accounts.models import Team
from supportloop.automation.choices import AssignmentMethod, AwayReassignment
from supportloop.automation.models import RoutingRule
from supportloop.customers.choices import Plan
from supportloop.mail.models import Mailbox
from supportloop.tickets.choices import Channel, Priority
from supportloop.tickets.models import ContactReason, ProductArea, ProductFeature

SPLIT = re.compile(r"[,\n]")


def split_list(text: str) -> list[str]:
    """ "a, b" or one per line: the keywords, languages and tags fields."""
    return [part.strip() for part in SPLIT.split(text or "") if part.strip()]


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line or comma-separated; any of them in the subject or the first message matches, "
            "in any letter case and any script (password, пароль, 密码)."
        ),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), required=False, choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )
    mailboxes = forms.ModelMultipleChoiceField(
        label=_("Mailboxes"), required=False, queryset=Mailbox.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=500,
        help_text=_("Language codes, comma-separated: zh, ru. The ticket's language, else the customer's."),
    )
    plans = forms.MultipleChoiceField(
        label=_("Company plans"), required=False, choices=Plan.choices, widget=forms.CheckboxSelectMultiple
    )
    product_areas = forms.ModelMultipleChoiceField(
        label=_("Product areas"), required=False, queryset=ProductArea.objects.none()
    )
    product_features = forms.ModelMultipleChoiceField(
        label=_("Product features"), required=False, queryset=ProductFeature.objects.none()
    )
    contact_reasons = forms.ModelMultipleChoiceField(
        label=_("Contact reasons"), required=False, queryset=ContactReason.objects.none()
    )
    team = forms.ModelChoiceField(
        label=_("Route to team"), required=False, queryset=Team.objects.none(), empty_label=_("Keep the team")
    )
    add_tags = forms.CharField(label=_("Add tags"), required=False, max_length=1000, help_text=_("Comma-separated."))
    priority = forms.ChoiceField(
        label=_("Set priority"), required=False, choices=[("", _("Keep priority")), *Priority.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["mailboxes"].queryset = Mailbox.objects.order_by("name", "id")
        fields["product_areas"].queryset = ProductArea.objects.order_by("position", "name")
        fields["product_features"].queryset = ProductFeature.objects.select_related("area")
        fields["contact_reasons"].queryset = ContactReason.objects.order_by("position", "name")
        fields["team"].queryset = Team.objects.order_by("name")

    @staticmethod
    def initial_of(rule: RoutingRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "is_active": rule.is_active,
            "keywords": "\n".join(rule.keywords),
            "channels": rule.channels,
            "mailboxes": rule.mailbox_ids,
            "languages": ", ".join(rule.languages),
            "plans": rule.plans,
            "product_areas": rule.product_area_ids,
            "product_features": rule.product_feature_ids,
            "contact_reasons": rule.contact_reason_ids,
            "team": rule.team_id,
            "add_tags": ", ".join(rule.add_tags),
            "priority": rule.priority,
        }

    def service_values(self) -> dict[str, Any]:
        """The cleaned form as the routing services' keyword arguments."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "is_active": data["is_active"],
            "keywords": split_list(data["keywords"]),
            "channels": list(data["channels"]),
            "mailbox_ids": [m.pk for m in data["mailboxes"]],
            "languages": split_list(data["languages"]),
            "plans": list(data["plans"]),
            "product_area_ids": [a.pk for a in data["product_areas"]],
            "product_feature_ids": [f.pk for f in data["product_features"]],
            "contact_reason_ids": [r.pk for r in data["contact_reasons"]],
            "team": data["team"],
            "add_tags": split_list(data["add_tags"]),
            "priority": data["priority"],
        }


class TeamAssignmentForm(forms.Form):
    method = forms.ChoiceField(label=_("Assignment"), choices=AssignmentMethod.choices)
    require_skills = forms.BooleanField(label=_("Require skills"), required=False)
    default_capacity = forms.IntegerField(
        label=_("Open tickets per agent"), required=False, min_value=0, max_value=10_000
    )
    on_agent_away = forms.ChoiceField(label=_("When an agent goes away"), choices=AwayReassignment.choices)


class AgentSkillsForm(forms.Form):
    """One per agent on the assignment page: the product areas come as ready choices (read once for the page),
    so a page of agents costs no query per row."""

    capacity = forms.IntegerField(label=_("Open tickets at most"), required=False, min_value=0, max_value=10_000)
    languages = forms.CharField(label=_("Languages"), required=False, max_length=500)
    product_areas = forms.TypedMultipleChoiceField(label=_("Product areas"), required=False, coerce=int)

    def __init__(self, *args: Any, areas: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["product_areas"].choices = areas
