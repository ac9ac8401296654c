"""The survey settings form (web/views/surveys.py). Shape only; the service checks ranges and reasons again and its
errors land on the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from supportloop.surveys.choices import CsatScale
from supportloop.tickets.models import ContactReason


class SurveySettingsForm(forms.Form):
    csat_enabled = forms.BooleanField(label=_("Send CSAT when a ticket is solved"), required=False)
    csat_delay_minutes = forms.IntegerField(label=_("CSAT delay after solve (minutes)"), min_value=0, max_value=20160)
    csat_scale = forms.ChoiceField(label=_("CSAT scale"), choices=CsatScale.choices)
    ces_enabled = forms.BooleanField(label=_("Send CES instead for these contact reasons"), required=False)
    ces_contact_reasons = forms.MultipleChoiceField(label=_("CES contact reasons"), required=False)
    nps_enabled = forms.BooleanField(label=_("Send NPS on a schedule"), required=False)
    nps_interval_days = forms.IntegerField(label=_("NPS every (days)"), min_value=7, max_value=3650)
    throttle_days = forms.IntegerField(
        label=_("At most one survey per contact in (days)"), min_value=0, max_value=3650, help_text=_("0: no limit")
    )
    link_valid_days = forms.IntegerField(label=_("Survey links valid for (days)"), min_value=1, max_value=365)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        reasons = ContactReason.objects.filter(is_active=True).order_by("position", "name")
        self.fields["ces_contact_reasons"].choices = [(r.slug, r.name) for r in reasons]  # type: ignore[attr-defined]
