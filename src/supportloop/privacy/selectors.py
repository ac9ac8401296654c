"""Reads of the privacy app, shared by the API and the pages."""

from __future__ import annotations

from supportloop.customers.models import Contact
from supportloop.privacy.models import LegalHold, RetentionSettings
from supportloop.privacy.services import legal_hold_for, retention_settings_get


def contact_hold(*, contact: Contact) -> LegalHold | None:
    """The legal hold that covers the contact (their own or their company's), or None."""
    return legal_hold_for(contact)


def retention_settings() -> RetentionSettings:
    return retention_settings_get()
