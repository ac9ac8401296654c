"""The ticket's audit timeline reads as translated sentences with labels and names, not verb codes and raw fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone, translation

from supportloop.accounts.services import team_create
from supportloop.core.models import Event
from supportloop.tickets.choices import Status
from supportloop.tickets.services import macro_apply, ticket_add_note, ticket_reply, ticket_update
from supportloop.web.selectors import ticket_timeline
from supportloop.web.timeline import SENTENCES, timeline_entries

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2]


def _texts(ticket) -> list[str]:
    return [e.text for e in timeline_entries(ticket_timeline(ticket=ticket))]


def _event(verb: str, changes: dict, *, actor=None, actor_label: str = "") -> Event:
    return Event(created_at=timezone.now(), actor=actor, actor_label=actor_label or "mail", verb=verb, changes=changes)


def test_changes_made_by_an_agent_read_as_sentences_with_labels_and_names(ws, make_user):
    lee = make_user("agent", username="lee", first_name="Lee", last_name="Li")
    sam = make_user("lead", username="sam", first_name="Sam", last_name="Lead")
    billing = team_create(name="Billing desk", slug="billing-desk", members=[lee])
    (t,) = ws.tickets_make(1)
    ticket_update(ticket=t, actor=sam, status="pending", assignee=lee, team=billing, tags=["billing", "t0", "vip"])
    ticket_update(ticket=t, actor=sam, tags=["billing"], priority="high", assignee=None)
    ticket_reply(ticket=t, actor=lee, body="On it.", status="solved")
    ticket_add_note(ticket=t, actor=lee, body="Refund done.")

    texts = _texts(t)
    for expected in (
        "Sam Lead changed status from New to Pending",
        "Sam Lead assigned the ticket to Lee Li",
        "Sam Lead moved the ticket to team Billing desk",
        "Sam Lead added tag vip",
        "Sam Lead removed tags t0, vip",
        "Sam Lead changed priority from Urgent to High",
        "Sam Lead unassigned Lee Li",
        "Lee Li replied to the customer",
        "Lee Li changed status from Pending to Solved",
        "Lee Li added an internal note",
    ):
        assert expected in texts, (expected, texts)
    assert not any("ticket." in text or "→" in text for text in texts), texts


def test_a_customer_reply_and_the_ticket_creation_name_no_codes(ws):
    from supportloop.tickets.services import message_add_from_contact

    (t,) = ws.tickets_make(1)
    ticket_update(ticket=t, actor=ws.agent, status="solved")
    message_add_from_contact(ticket=t, contact=t.requester, body="It broke again.")
    texts = _texts(t)
    assert "Customer Alice Able replied" in texts
    assert "The reply reopened the ticket: status went from Solved to Open" in texts
    assert "The customer opened the ticket (Web form)" in texts or "The customer opened the ticket (Email)" in texts
    assert "Tagged billing, t0" in texts


def test_a_macro_and_its_name(ws):
    (t,) = ws.tickets_make(1)
    macro_apply(macro=ws.macro, ticket=t, actor=ws.agent)
    assert "Alex Agent applied the macro Refund issued" in _texts(t)


def test_the_timeline_is_translated(ws, make_user):
    lee = make_user("agent", username="lee", first_name="Lee", last_name="Li")
    (t,) = ws.tickets_make(1)
    ticket_update(ticket=t, actor=ws.agent, status="pending", assignee=lee)
    with translation.override("zh-hans"):
        zh = _texts(t)
    with translation.override("ru"):
        ru = _texts(t)
    with translation.override("zh-hans"):
        pending_zh = str(Status.PENDING.label)
    assert any(pending_zh in text and "Alex Agent" in text and "状态" in text for text in zh), zh
    assert not any("changed" in text or "assigned" in text for text in zh + ru), (zh, ru)
    assert any("Lee Li" in text and "назнач" in text for text in ru), ru


EVERY_VERB = {
    "ticket.created": {"status": [None, "new"], "channel": [None, "email"], "tags": [[], ["vip"]]},
    "ticket.updated": {"status": ["open", "pending"]},
    "ticket.replied": {"message": [None, 1], "public_reply_count": [0, 1]},
    "ticket.reply_withdrawn": {"message": [1, None], "public_reply_count": [1, 0]},
    "ticket.noted": {"message": [None, 1]},
    "ticket.system_noted": {"message": [None, 1]},
    "ticket.customer_replied": {"message": [None, 1]},
    "ticket.snoozed": {"snoozed_until": [None, "2026-12-07T09:00:00+00:00"]},
    "ticket.unsnoozed": {"snoozed_until": ["2026-12-07T09:00:00+00:00", None]},
    "ticket.woken": {"snoozed_until": ["2026-12-07T09:00:00+00:00", None], "reason": [None, "time"]},
    "attachment.added": {"attachments": [[], ["invoice.pdf"]]},
    "macro.applied": {"macro": [None, 999999]},
    "ticket.customer_told": {"subject": [None, "Shipped: PDF export"], "kind": [None, "shipped"]},
    "ticket.follower_added": {"followers": [[], ["cc@acme.example"]]},
    "ticket.follower_proposed": {"follower": [None, "cc@acme.example"]},
    "ticket.follower_accepted": {"follower": [None, "cc@acme.example"]},
    "ticket.follower_dismissed": {"follower": [None, "cc@acme.example"]},
    "ticket.follower_removed": {"follower": ["cc@acme.example", None]},
    "ticket.follow_up_linked": {"follow_up_of": [None, 41]},
    "mail.acknowledgement_skipped": {"recipient": [None, "a@acme.example"], "reason": [None, "limit reached"]},
    "mail.notice_skipped": {"recipient": [None, "a@acme.example"], "reason": [None, "bounced"]},
    "mail.message_id_reused": {"message_id": [None, "<x@acme.example>"]},
    "ticket.routed": {"rule": [None, "Password resets"], "rule_id": [None, 1], "team": [None, 999999]},
    "ticket.auto_assigned": {"assignee": [None, 999998], "team": [None, 999999], "method": [None, "round_robin"]},
    "ticket.away_reassigned": {"assignee": [999998, None], "option": [None, "unassign"], "team": [None, 999999]},
    "ticket.sla_breached": {"target": [None, "first_response"], "breached_at": [None, "2026-12-07T09:00:00+00:00"]},
    "ticket.sla_warning": {"target": [None, "resolution"], "warned_at": [None, "2026-12-07T09:00:00+00:00"]},
    "ticket.trigger_fired": {
        "trigger": [None, "VIP"],
        "trigger_id": [None, 3],
        "event": [None, "created"],
        "actions": [None, ["Priority set to Urgent", "Notified Lee"]],
    },
    "ticket.trigger_capped": {
        "trigger": [None, "VIP"],
        "trigger_id": [None, 3],
        "cap": [None, 3],
        "window_minutes": [None, 60],
    },
    "ticket.time_rule_applied": {"rule": [None, "solved_close"], "action": [None, "Closed after 4 days solved"]},
    "ticket.incident_linked": {"incident": [None, 3], "title": [None, "Exports down"], "source": [None, "matched"]},
    "ticket.incident_unlinked": {"incident": [3, None]},
}
EXPECTED = {
    "ticket.created": ["The customer opened the ticket (Email)", "Tagged vip"],
    "ticket.updated": ["Mail changed status from Open to Pending"],
    "ticket.replied": ["Mail replied to the customer"],
    "ticket.reply_withdrawn": ["Mail took back a reply before it was sent (undo send)"],
    "ticket.noted": ["Mail added an internal note"],
    "ticket.system_noted": ["Mail added an internal note"],
    "ticket.customer_replied": ["Customer mail replied"],
    "ticket.snoozed": ["Mail snoozed the ticket until 2026-12-07 09:00"],
    "ticket.unsnoozed": ["Mail woke the snoozed ticket"],
    "ticket.woken": ["The snooze ended: the ticket is back in the inbox"],
    "attachment.added": ["Mail attached invoice.pdf"],
    "macro.applied": ["Mail applied the macro a deleted macro"],
    "ticket.customer_told": ["The customer was told by mail: “Shipped: PDF export”"],
    "ticket.follower_added": ["Mail added follower cc@acme.example"],
    "ticket.follower_proposed": ["A mail proposed cc@acme.example as a follower"],
    "ticket.follower_accepted": ["Mail accepted cc@acme.example as a follower"],
    "ticket.follower_dismissed": ["Mail dismissed the proposed follower cc@acme.example"],
    "ticket.follower_removed": ["Mail removed follower cc@acme.example"],
    "ticket.follow_up_linked": ["Opened as a follow-up of ticket #41"],
    "mail.acknowledgement_skipped": ["The acknowledgement to a@acme.example was held back: limit reached"],
    "mail.notice_skipped": ["The notice to a@acme.example was held back: bounced"],
    "mail.message_id_reused": ["A mail reused the Message-ID of an earlier message"],
    "ticket.routed": ["Routing rule “Password resets” sent the ticket to team a deleted team"],
    "ticket.auto_assigned": ["Team a deleted team assigned the ticket to a former user by round-robin"],
    "ticket.away_reassigned": ["The ticket went back to the team, unassigned: a former user went away"],
    "ticket.sla_breached": ["The SLA target for first response was breached"],
    "ticket.sla_warning": ["The SLA target for resolution is close to its due time"],
    "ticket.trigger_fired": ["Trigger “VIP” fired: Priority set to Urgent; Notified Lee"],
    "ticket.trigger_capped": ["Trigger “VIP” was stopped: it fired 3 times on this ticket within 60 minutes"],
    "ticket.time_rule_applied": ["Time rule: Closed after 4 days solved"],
    "ticket.incident_linked": ["Linked to incident “Exports down” (it matched on arrival)"],
    "ticket.incident_unlinked": ["Mail took the ticket off an incident"],
}


@pytest.mark.parametrize("verb", sorted(EVERY_VERB))
def test_every_verb_written_on_a_ticket_has_its_sentences(verb):
    entries = timeline_entries([_event(verb, EVERY_VERB[verb])])
    assert [e.text for e in entries] == EXPECTED[verb]


def test_the_sentences_cover_every_ticket_verb_the_services_write():
    """A new verb written on a ticket must get its sentence here (or it falls back to the generic one)."""
    written = set()
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        written |= set(re.findall(r'verb=f?"((?:ticket|attachment|macro\.applied|mail)[a-z_.{}]*)"', path.read_text()))
    written = {v for v in written if v.startswith(("ticket.", "attachment.", "macro.applied"))} | {
        "mail.acknowledgement_skipped",
        "mail.notice_skipped",
        "mail.message_id_reused",
    }
    assert written - set(SENTENCES) == set()
    assert set(EVERY_VERB) == set(SENTENCES)


def test_an_unknown_verb_reads_as_a_generic_sentence(ws):
    entries = timeline_entries([_event("ticket.snoozed_until", {"until": [None, "2026-12-24"]}, actor=ws.agent)])
    assert [e.text for e in entries] == ["Alex Agent: snoozed until"]


def test_names_cost_no_query_when_cached_and_one_per_kind_when_cold(ws, django_assert_num_queries, make_user):
    lee = make_user("agent", username="lee", first_name="Lee", last_name="Li")
    (t,) = ws.tickets_make(1)
    ticket_update(ticket=t, actor=ws.agent, assignee=lee, team=None)
    ticket_update(ticket=t, actor=lee, team=ws.team)
    events = ticket_timeline(ticket=t)
    from django.core.cache import cache

    cache.clear()
    with django_assert_num_queries(2):  # the users and the teams, once for the whole list
        timeline_entries(events)
    with django_assert_num_queries(0):
        texts = [e.text for e in timeline_entries(events)]
    assert "Lee Li moved the ticket to team Support" in texts


def test_a_renamed_user_is_named_anew(ws):
    from supportloop.accounts.services import user_update

    (t,) = ws.tickets_make(1)
    ticket_update(ticket=t, actor=ws.agent, status="pending")
    assert "Alex Agent changed status from New to Pending" in _texts(t)
    user_update(user=ws.agent, first_name="Alexandra", actor=ws.admin)
    assert "Alexandra Agent changed status from New to Pending" in _texts(t)
