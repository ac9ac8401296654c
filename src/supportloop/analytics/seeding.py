"""Demo analytics (`supportloop seed`): rebuild the rollups from the seeded tickets (their timestamps were moved
back after the services ran, and ticket listeners are off while seeding), open a TV link for the Volume dashboard,
and mail last week's headline figures to the leads, so the Reports pages show data on first open and the Outbox
shows the lead mail."""

from __future__ import annotations

import random

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.analytics.models import Dashboard, TvLink
from supportloop.analytics.rollups import analytics_rebuild
from supportloop.analytics.services import lead_report_send, tv_link_create


def seed(*, rng: random.Random, size: int) -> None:
    analytics_rebuild()
    lead = User.objects.filter(role=Role.LEAD).order_by("pk").first()
    if lead is not None and not TvLink.objects.exists():
        tv_link_create(name="Support floor screen", dashboard=Dashboard.VOLUME, days=90, actor=lead)
    lead_report_send()
