"""The demo shows privacy: a legal hold, an erased contact, retention switched on."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command

from supportloop.customers.models import Contact
from supportloop.privacy import seeding
from supportloop.privacy.models import LegalHold, RetentionSettings
from supportloop.tickets.models import Ticket


@pytest.mark.django_db(transaction=True)
def test_seed_hook_holds_one_contact_erases_another_and_turns_retention_on():
    call_command("seed", seed=3, tickets=30, admin_password="pw-demo-1", now="2026-06-15T12:00:00+00:00", no_hooks=True)
    seeding.seed(rng=random.Random("3:privacy"), size=30)
    hold = LegalHold.objects.get()
    erased = Contact.objects.get(name="Erased contact")
    assert hold.contact_id != erased.pk
    assert not erased.emails.exists()
    assert set(Ticket.objects.filter(requester=erased).values_list("subject", flat=True)) == {"[erased]"}
    assert RetentionSettings.objects.get().enabled
