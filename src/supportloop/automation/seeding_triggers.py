"""The demo's own trigger (`supportloop seed`), enabled: when a conversation passes 5 public replies, raise its
priority one step and notify the leads of its team. It fires when the 6th public reply is written, once per
ticket (the condition holds only at that count)."""

from __future__ import annotations

import random

from supportloop.automation.models import Trigger
from supportloop.automation.services.triggers import trigger_create

LONG_CONVERSATION = "Long conversation: raise priority and tell the lead"


def seed_triggers(*, rng: random.Random, size: int) -> None:
    if Trigger.objects.filter(name=LONG_CONVERSATION).exists():
        return
    trigger_create(
        actor=None,
        name=LONG_CONVERSATION,
        events=["replied"],
        conditions={"all": [{"field": "public_replies", "op": "eq", "value": 6}]},
        actions=[
            {"action": "raise_priority"},
            {
                "action": "notify",
                "team_leads": True,
                "text": "Ticket #{{ ticket.number }} has passed 5 public replies: {{ ticket.subject }}",
            },
        ],
    )
