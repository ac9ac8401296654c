"""Seed hook: the demo shows privacy at work. One contact under a legal hold, one contact erased (their tickets
show "[erased]", their evidence counts as one anonymous customer), and retention switched on at 365 days (the demo's
tickets are at most 90 days old, so nothing is removed yet, and the settings page shows the rule)."""

from __future__ import annotations

from django.db.models import Count

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.customers.models import Contact
from supportloop.privacy.services import contact_erase, legal_hold_set, retention_settings_update

ERASE_UP_TO = 20_000  # erasure scans every text column; leave the scale datasets alone


def seed(*, rng, size: int) -> None:
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    contacts = list(
        Contact.objects.annotate(n=Count("tickets")).filter(n__gt=0).order_by("pk").values_list("pk", flat=True)[:200]
    )
    if len(contacts) < 2:
        return
    held, erased = rng.sample(contacts, 2)
    legal_hold_set(contact=Contact.objects.get(pk=held), reason="Demo: records kept for a billing dispute", actor=admin)
    retention_settings_update(data={"enabled": True, "days": 365, "action": "anonymise"}, actor=admin)
    if size <= ERASE_UP_TO:
        contact_erase(contact=Contact.objects.get(pk=erased), actor=admin)
