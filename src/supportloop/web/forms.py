"""Forms check the shape of what people type; services decide the business rules (their DomainError
becomes field errors here through `add_domain_error`)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from supportloop.accounts.choices import Role
from supportloop.accounts.directory import directory
from supportloop.accounts.models import Team, User
from supportloop.core.errors import DomainError
from supportloop.customers.choices import Plan
from supportloop.feedback.choices import PICKLIST_UNKNOWN, Frequency, Severity
from supportloop.feedback.services import picklist_values
from supportloop.tickets.choices import MessageKind, Priority, Status
from supportloop.tickets.models import ContactReason, ProductArea, ProductFeature
from supportloop.tickets.taxonomy_index import taxonomy_index
from supportloop.web.widgets import QuickHiddenInput, QuickNumberInput, QuickSelect, QuickTextarea, QuickTextInput


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal in place: on the fields it names, else above the form."""
    placed = False
    for field, message in (exc.errors or {}).items():
        if field in form.fields:
            form.add_error(field, str(message))
            placed = True
    if not placed:
        form.add_error(None, exc.detail)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> Any:
        return obj.display_name


class FeatureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.area.name} › {obj.name}"


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """One of a form's model choice fields, to set its queryset (`form.fields` types them as plain Field)."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name} is not a model choice field")
    return field


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """One of a form's choice fields, to set its choices (`form.fields` types them as plain Field)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name} is not a choice field")
    return field


def staff_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=[Role.ADMIN, Role.LEAD, Role.AGENT]).order_by("username")


def active_features() -> QuerySet[ProductFeature]:
    return ProductFeature.objects.filter(is_active=True).select_related("area")


class TicketControlsForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, widget=QuickSelect)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, widget=QuickSelect)
    assignee = UserChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Unassigned"),
        widget=QuickSelect,
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("No team"), widget=QuickSelect
    )
    product_feature = FeatureChoiceField(
        label=_("Product feature"),
        queryset=ProductFeature.objects.none(),
        required=False,
        empty_label=_("None"),
        widget=QuickSelect,
    )
    contact_reason = forms.ModelChoiceField(
        label=_("Contact reason"),
        queryset=ContactReason.objects.none(),
        required=False,
        empty_label=_("None"),
        widget=QuickSelect,
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Comma-separated."), widget=QuickTextInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "assignee").queryset = staff_users()
        model_choice_field(self, "team").queryset = Team.objects.all()
        model_choice_field(self, "product_feature").queryset = active_features()
        model_choice_field(self, "contact_reason").queryset = ContactReason.objects.filter(is_active=True)
        _cached_picker_choices(self)

    def clean_tags(self) -> list[Any]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]


def _cached_picker_choices(form: forms.Form) -> None:
    """The options the pickers show, from the caches of people and teams (accounts.directory) and of the
    taxonomy (tickets.taxonomy_index) rather than four queries per page; the querysets above still check what is
    posted, so an option changed since the cache was filled is refused, not trusted."""
    people, index = directory(), taxonomy_index()
    options: dict[str, list[tuple[Any, str]]] = {
        "assignee": [(p.pk, p.name) for p in people.assignable()],
        "team": list(people.teams.items()),
        "product_feature": [
            (f.pk, f"{f.area.name} › {f.name}")
            for f in sorted(
                (f for f in index.features.values() if f.is_active),
                key=lambda f: (f.area.position, f.area.name, f.position, f.name),
            )
        ],
        "contact_reason": [
            (r.pk, r.name)
            for r in sorted((r for r in index.reasons.values() if r.is_active), key=lambda r: (r.position, r.name))
        ],
    }
    for name, choices in options.items():
        field = model_choice_field(form, name)
        field.choices = [("", field.empty_label), *choices]


class ComposerForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=MessageKind.choices, initial=MessageKind.REPLY, widget=forms.RadioSelect
    )
    body = forms.CharField(label=_("Message"), widget=QuickTextarea(attrs={"rows": 6}), max_length=100_000)
    macro = forms.IntegerField(required=False, widget=QuickHiddenInput)
    after_status = forms.ChoiceField(
        label=_("Then set status"),
        required=False,
        choices=[("", _("Keep status")), *Status.choices],
        widget=QuickSelect,
    )
    # The newest public message the page showed when the composer rendered: a newer one holds the reply.
    seen_public_id = forms.IntegerField(required=False, widget=QuickHiddenInput)
    send_anyway = forms.BooleanField(required=False, widget=QuickHiddenInput)  # the collision notice's button


IMPORTANCE_CHOICES = [("nice_to_have", _("Nice to have")), ("important", _("Important")), ("blocker", _("Blocker"))]
KIND_CHOICES = [("feature_request", _("Feature request")), ("bug", _("Bug")), ("improvement", _("Improvement"))]
ITEM_STATUS_CHOICES = [
    ("new", _("New")),
    ("under_review", _("Under review")),
    ("planned", _("Planned")),
    ("in_progress", _("In progress")),
    ("shipped", _("Shipped")),
    ("declined", _("Declined")),
]


class LinkFeedbackForm(forms.Form):
    quote = forms.CharField(
        label=_("Quote from the conversation"),
        required=False,
        max_length=5000,
        widget=QuickTextarea(attrs={"rows": 3, "data-quote-target": "1"}),
    )
    message = forms.IntegerField(required=False, widget=QuickHiddenInput(attrs={"data-quote-message": "1"}))
    importance = forms.ChoiceField(
        label=_("Importance"), choices=IMPORTANCE_CHOICES, initial="important", widget=QuickSelect
    )
    item = forms.IntegerField(label=_("Feedback item"), required=False, widget=QuickNumberInput)
    new_title = forms.CharField(
        label=_("Or create a new item titled"), required=False, max_length=300, widget=QuickTextInput
    )
    new_kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES, initial="feature_request", widget=QuickSelect)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # Form.clean returns cleaned_data (the stubs allow None)
        if not data.get("item") and not (data.get("new_title") or "").strip():
            raise forms.ValidationError(_("Pick an existing item or give a title for a new one."))
        return data


def _picklist_guess(field: str, values: list[str], text: str) -> str:
    """The first pick-list option the text names as a whole word ("Firefox", "iOS"); a version only when written
    as "version 2.6" or "v2.6"; generic options ("Other") never. Otherwise "Unknown"."""
    for value in values:
        if value.lower() in ("other", "unknown") or "(" in value:
            continue
        word = re.escape(value)
        pattern = rf"\b(?:version|v)\s*{word}(?![\w.])" if field == "version" else rf"(?<![\w.]){word}(?![\w])"
        if re.search(pattern, text, flags=re.IGNORECASE):
            return value
    return PICKLIST_UNKNOWN


class BugReportForm(forms.Form):
    """The structured bug form; version and environment come from the admin-edited pick-lists."""

    title = forms.CharField(label=_("Title"), max_length=300, widget=QuickTextInput)
    product_feature = FeatureChoiceField(
        label=_("Product feature"), queryset=ProductFeature.objects.none(), empty_label="—"
    )
    version = forms.ChoiceField(label=_("Version"))
    environment_browser = forms.ChoiceField(label=_("Browser"))
    environment_os = forms.ChoiceField(label=_("Operating system"))
    environment_device = forms.ChoiceField(label=_("Device"))
    environment_plan = forms.ChoiceField(label=_("Plan"), choices=Plan.choices)
    severity = forms.ChoiceField(label=_("Severity"))
    frequency = forms.ChoiceField(label=_("Frequency"))
    steps = forms.CharField(label=_("Steps to reproduce"), widget=QuickTextarea(attrs={"rows": 4}))
    expected = forms.CharField(
        label=_("Expected result"),
        required=False,
        widget=QuickTextarea(attrs={"rows": 2}),
        help_text=_("Optional: what the customer expected, if they said."),
    )
    actual = forms.CharField(label=_("Actual result"), widget=QuickTextarea(attrs={"rows": 2}))
    carry_attachment_ids = forms.TypedMultipleChoiceField(
        label=_("Attachments to carry over"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, attachments=(), **kwargs):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "product_feature").queryset = active_features()
        # Version and environment start at "Unknown", or at the option the ticket's own words name ("does nothing
        # in Firefox"), so the pre-filled form can be filed as it is (issue 12, defect 4).
        text = " ".join(str(self.initial.get(k) or "") for k in ("title", "steps", "actual"))
        for name in ("version", "environment_browser", "environment_os", "environment_device"):
            values = [v for v in picklist_values(name) if v != PICKLIST_UNKNOWN]
            choice_field(self, name).choices = [(PICKLIST_UNKNOWN, _("Unknown")), *((v, v) for v in values)]
            if not self.is_bound and not self.initial.get(name):
                self.initial[name] = _picklist_guess(name, values, text)
        choice_field(self, "severity").choices = Severity.choices
        choice_field(self, "carry_attachment_ids").choices = [(a.pk, f"{a.filename} ({a.size} B)") for a in attachments]
        if not attachments:
            del self.fields["carry_attachment_ids"]
        choice_field(self, "frequency").choices = Frequency.choices


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Add a note"), widget=QuickTextarea(attrs={"rows": 3}), max_length=20_000)


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name this view"), max_length=80)
    query = forms.CharField(widget=forms.HiddenInput, required=False)
    q = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)  # a search, run by the engine
    team = forms.IntegerField(required=False, min_value=1)  # share with this team (the page lists the user's teams)


class AccountForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    language = forms.ChoiceField(label=_("Interface language"), required=False)
    signature = forms.CharField(label=_("Signature"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    keyboard_shortcuts = forms.BooleanField(
        label=_("Single-key shortcuts"),
        required=False,
        help_text=_(
            "Keys such as j, k, r and ? act at once. Turn them off if you use speech input or press keys by accident; "
            "arrows, Enter and Ctrl+Enter keep working."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        choice_field(self, "language").choices = [("", _("Browser default")), *settings.LANGUAGES]


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, min_length=10)


class UserRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=100)
    members = forms.ModelMultipleChoiceField(label=_("Members"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "members").queryset = User.objects.filter(is_active=True).order_by("username")


class MacroForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Placeholders: {{ contact.first_name }}, {{ ticket.number }}, {{ agent.name }} …"),
    )
    status = forms.ChoiceField(label=_("Set status"), required=False, choices=[("", _("Keep status")), *Status.choices])
    add_tags = forms.CharField(label=_("Add tags"), required=False, help_text=_("Comma-separated."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def actions(self) -> dict:
        actions = {}
        if self.cleaned_data.get("status"):
            actions["status"] = self.cleaned_data["status"]
        tags = [t.strip() for t in (self.cleaned_data.get("add_tags") or "").split(",") if t.strip()]
        if tags:
            actions["add_tags"] = tags
        return actions


class AreaForm(forms.Form):
    name = forms.CharField(label=_("Area name"), max_length=100)


class FeatureForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Area"), queryset=ProductArea.objects.none())
    name = forms.CharField(label=_("Feature name"), max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "area").queryset = ProductArea.objects.all()


class ReasonForm(forms.Form):
    name = forms.CharField(label=_("Reason name"), max_length=100)
    is_catch_all = forms.BooleanField(label=_("Catch-all (vague)"), required=False)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    read_only = forms.BooleanField(label=_("Read-only (may only read)"), required=False)

    def __init__(self, *args: Any, may_write: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_write:  # a viewer's tokens are always read-only (ROLE_MATRIX token.read_write)
            self.fields["read_only"].initial = True
            self.fields["read_only"].disabled = True


class ItemStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ITEM_STATUS_CHOICES)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
    release_note = forms.CharField(
        label=_("Release note (sent to customers)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    decline_reason = forms.CharField(
        label=_("Reason for declining"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    notify = forms.BooleanField(label=_("Tell the customers who asked"), required=False)


class MergeForm(forms.Form):
    target = forms.IntegerField(label=_("Merge into item number"), min_value=1)
