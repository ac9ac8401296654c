"""Seed hook of the automation app (`supportloop seed` calls `seed(rng=..., size=...)`): each part of automation
adds its demo data here, one line each."""

from __future__ import annotations

import random


def seed(*, rng: random.Random, size: int) -> None:
    from supportloop.automation.sla_seeding import seed as seed_sla

    seed_sla(rng=rng, size=size)
