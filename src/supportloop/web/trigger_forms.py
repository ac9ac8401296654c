"""The trigger form of the settings page (web/views/automation_triggers.py): conditions and actions as JSON text
areas. The form checks that they parse as JSON; the service checks what they say, and its errors land on the
field they concern (a condition's error on Conditions, an action's on Actions)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supportloop.automation.models import Trigger
from supportloop.automation.services.time_rules import (
    MAX_MINUTES,
    PENDING_REMINDER,
    REMINDER_BODY,
    REMINDER_MAX,
    REMINDER_PLACEHOLDERS,
    TimeRuleConfig,
)
from supportloop.automation.services.triggers import EVENT_KINDS
from supportloop.core.errors import DomainError

EVENT_LABELS = {
    "created": _("Ticket created"),
    "updated": _("Ticket updated"),
    "replied": _("Agent replied (public)"),
    "noted": _("Agent added an internal note"),
    "customer_replied": _("Customer replied"),
    "rated": _("Customer rated"),
    "sla_warning": _("SLA warning"),
    "sla_breach": _("SLA breach"),
}
JSON_MAX = 50_000


def _json(value: str, field: str) -> Any:
    try:
        return json.loads(value) if value.strip() else None
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            _("Not valid JSON (line %(line)s, column %(col)s): %(msg)s"),
            params={"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
            code="json",
        ) from None


class TriggerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    is_active = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    events = forms.MultipleChoiceField(
        label=_("On these ticket events"),
        choices=[(k, EVENT_LABELS.get(k, k)) for k in EVENT_KINDS],
        widget=forms.CheckboxSelectMultiple,
    )
    conditions = forms.CharField(
        label=_("Conditions (JSON)"),
        required=False,
        max_length=JSON_MAX,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
        help_text=_(
            '{"all": [{"field": "priority", "op": "in", "value": ["high", "urgent"]}], "any": []}. '
            "Fields: status, priority, channel, mailbox, team, assignee, product_area, product_feature, "
            "contact_reason, tags, plan, mrr, language, subject, latest_message, public_replies, reopen_count, "
            "in_business_hours. Empty: always."
        ),
    )
    actions = forms.CharField(
        label=_("Actions (JSON)"),
        max_length=JSON_MAX,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
        help_text=_(
            '[{"action": "set_priority", "priority": "high"}, {"action": "notify", "team_leads": true}]. '
            "Actions: set_status, set_priority, raise_priority, set_team, set_assignee, add_tags, remove_tags, "
            "set_product_feature, set_contact_reason, add_note, notify, send_reply, assign_by_team_method."
        ),
    )

    def clean_conditions(self) -> Any:
        return _json(self.cleaned_data["conditions"], "conditions")

    def clean_actions(self) -> Any:
        return _json(self.cleaned_data["actions"], "actions")

    @staticmethod
    def initial_of(trigger: Trigger) -> dict[str, Any]:
        return {
            "name": trigger.name,
            "is_active": trigger.is_active,
            "events": trigger.events,
            "conditions": json.dumps(trigger.conditions, indent=2, ensure_ascii=False),
            "actions": json.dumps(trigger.actions, indent=2, ensure_ascii=False),
        }

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "is_active": data["is_active"],
            "events": data["events"],
            "conditions": data["conditions"],
            "actions": data["actions"],
        }

    def add_service_error(self, exc: DomainError) -> None:
        """A service error names "conditions.all[1].op" or "actions[0].priority": shown on the field it is
        about, with the service's sentence and the part it names."""
        for key, message in (exc.errors or {}).items():
            root = str(key).split(".", 1)[0].split("[", 1)[0]
            if root in self.fields:
                self.add_error(root, exc.detail if key == root else f"{exc.detail} ({key}: {message})")
                return
        self.add_error(None, exc.detail)


TIME_RULE_LABELS = {
    "pending_reminder": _("Remind the customer of a pending ticket"),
    "solved_close": _("Close a solved ticket"),
    "unassigned_notice": _("Notify the leads of an unassigned ticket"),
}


class TimeRuleForm(forms.Form):
    """One built-in time rule on the triggers page (prefixed with the rule's name, several on one page). The
    service checks the values; its errors land on the field they name."""

    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    after_minutes = forms.IntegerField(
        label=_("Wait (minutes)"),
        min_value=1,
        max_value=MAX_MINUTES,
        help_text=_("How long the ticket stays in its state, unchanged, before the rule acts."),
    )

    def __init__(self, *args: Any, rule: str, **kwargs: Any) -> None:
        kwargs["prefix"] = rule
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.label = TIME_RULE_LABELS.get(rule, rule)
        if rule == PENDING_REMINDER:
            self.fields["reminder_text"] = forms.CharField(
                label=_("Reminder text"),
                required=False,
                max_length=REMINDER_MAX,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 5}),
                help_text=_("Empty: the built-in text. Placeholders: %(names)s.")
                % {"names": ", ".join("{{ " + p + " }}" for p in REMINDER_PLACEHOLDERS)},
            )

    @staticmethod
    def initial_of(config: TimeRuleConfig) -> dict[str, Any]:
        return {
            "enabled": config.enabled,
            "after_minutes": config.after_minutes,
            "reminder_text": config.reminder_text or (REMINDER_BODY if config.has_text else ""),
        }

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {"enabled": data["enabled"], "after_minutes": data["after_minutes"]}
        if "reminder_text" in self.fields:
            text = (data.get("reminder_text") or "").replace("\r\n", "\n")
            # the built-in text shown as it is stays the built-in one (its translation may change later)
            values["reminder_text"] = "" if text.strip() == REMINDER_BODY else text
        return values

    def add_service_error(self, exc: DomainError) -> None:
        for key in exc.errors or {}:
            if key in self.fields:
                self.add_error(key, exc.detail)
                return
        self.add_error(None, exc.detail)
