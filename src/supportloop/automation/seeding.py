"""The demo's automation (called by `supportloop seed` after the tickets): one function per part."""

from __future__ import annotations

import random

from supportloop.automation.seeding_routing import seed_routing


def seed(*, rng: random.Random, size: int) -> None:
    seed_routing(rng=rng, size=size)  # first: the SLA replay below reads the teams routing chose
    from supportloop.automation.sla_seeding import seed as seed_sla

    seed_sla(rng=rng, size=size)
    from supportloop.automation.seeding_triggers import seed_triggers

    seed_triggers(rng=rng, size=size)
    from supportloop.automation.seeding_incidents import seed_incidents

    seed_incidents(rng=rng, size=size)  # last: its new tickets are routed and get SLA clocks like any other
