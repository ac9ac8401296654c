"""The demo's own trigger (`supportloop seed`), enabled: when a conversation passes 5 public replies, raise its
priority one step and notify the leads of its team. It tags the ticket `long-conversation` and does not fire on a
ticket with that tag, so it acts once per ticket even if the listener runs after a 7th reply was written."""

from __future__ import annotations

import random

from supportloop.automation.models import Trigger
from supportloop.automation.services.triggers import trigger_create

LONG_CONVERSATION = "Long conversation: raise priority and tell the lead"
LONG_CONVERSATION_TAG = "long-conversation"


def seed_triggers(*, rng: random.Random, size: int) -> None:
    if Trigger.objects.filter(name=LONG_CONVERSATION).exists():
        return
    trigger_create(
        actor=None,
        name=LONG_CONVERSATION,
        events=["replied"],
        conditions={
            "all": [
                {"field": "public_replies", "op": "gt", "value": 5},
                {"field": "tags", "op": "not_contains", "value": LONG_CONVERSATION_TAG},
            ]
        },
        actions=[
            {"action": "raise_priority"},
            {"action": "add_tags", "tags": [LONG_CONVERSATION_TAG]},
            {
                "action": "notify",
                "team_leads": True,
                "text": "Ticket #{{ ticket.number }} has passed 5 public replies: {{ ticket.subject }}",
            },
        ],
    )
