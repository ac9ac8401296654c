"""Merging duplicates: evidence moves, counts stay exact, the source redirects, bad merges are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from supportloop.core.errors import Conflict, DomainError, ValidationFailed
from supportloop.core.models import Event
from supportloop.core.selectors import events_for
from supportloop.feedback import selectors
from supportloop.feedback.models import Evidence, FeedbackItem, StatusChange
from supportloop.feedback.services import (
    evidence_add,
    feedback_item_delete,
    feedback_item_merge,
    feedback_item_set_status,
    feedback_item_update,
)


@pytest.fixture
def dupes(db, company, contact, ticket_for, item, agent):
    acme, globex = company("Acme", "pro", 600), company("Globex", "enterprise", 900)
    ann, cho, dee = contact("Ann", acme), contact("Cho", globex), contact("Dee", acme)
    ann_ticket, cho_ticket, dee_ticket = ticket_for(ann), ticket_for(cho), ticket_for(dee)
    a, b = item("Export to Excel"), item("XLSX download")
    # A: Ann (ticket), Cho.  B: Ann again (a sales call), Dee.
    evidence_add(item=a, actor=agent, ticket=ann_ticket, message=ann_ticket.messages.first())
    evidence_add(item=a, actor=agent, ticket=cho_ticket)
    evidence_add(item=b, actor=agent, source="Sales call", contact=ann)
    evidence_add(item=b, actor=agent, ticket=dee_ticket)
    return {"a": a, "b": b, "ann": ann, "ann_ticket": ann_ticket, "agent": agent}


def test_merge_moves_evidence_without_double_counting_a_contact(dupes, pm):
    a, b = dupes["a"], dupes["b"]
    target = feedback_item_merge(source=b, target=a, actor=pm)
    assert target.pk == a.pk
    # By hand: 4 mentions; contacts {Ann, Cho, Dee} = 3 (Ann asked in both); companies {Acme, Globex} = 2;
    # MRR 600 + 900 = 1500 (Acme once although Ann and Dee both work there).
    stats = selectors.feedback_item_stats(item=a)
    assert (stats["mentions"], stats["unique_contacts"], stats["unique_companies"]) == (4, 3, 2)
    assert stats["mrr"] == Decimal("1500.00")
    row = next(r for r in selectors.feedback_ranking() if r["id"] == a.pk)
    assert (row["mentions"], row["unique_contacts"], row["mrr"]) == (4, 3, Decimal("1500.00"))
    # The source stays as a redirecting record with nothing left to count, and is not ranked.
    b.refresh_from_db()
    assert (b.status, b.merged_into_id) == ("merged", a.pk)
    assert not Evidence.objects.filter(item=b).exists()
    assert b.pk not in [r["id"] for r in selectors.feedback_ranking()]
    assert selectors.feedback_item_resolve(item_id=b.pk).pk == a.pk
    assert set(Evidence.objects.filter(item=a, merged_from=b).values_list("contact__name", flat=True)) == {"Ann", "Dee"}
    # Audit events for both, and the status history of the source.
    assert events_for(b).filter(verb="feedback_item.merged").count() == 1
    assert events_for(a).filter(verb="feedback_item.merged_in").count() == 1
    last = StatusChange.objects.filter(item=b).last()
    assert (last.from_status, last.to_status, last.actor_id) == ("new", "merged", pm.pk)


def test_merge_refuses_self_already_merged_and_cycles(dupes, item, pm):
    a, b = dupes["a"], dupes["b"]
    c = item("Spreadsheet export")
    with pytest.raises(ValidationFailed) as exc:
        feedback_item_merge(source=a, target=a, actor=pm)
    assert "itself" in exc.value.detail
    feedback_item_merge(source=b, target=a, actor=pm)
    b.refresh_from_db()
    with pytest.raises(Conflict) as exc:
        feedback_item_merge(source=b, target=c, actor=pm)
    assert "already merged" in exc.value.detail and "source" in exc.value.errors
    # A into B while B redirects to A would be a cycle.
    with pytest.raises(Conflict) as exc:
        feedback_item_merge(source=a, target=b, actor=pm)
    assert "cycle" in exc.value.detail
    # Into a merged item (not a cycle): refused, naming the item to use instead.
    with pytest.raises(Conflict) as exc:
        feedback_item_merge(source=c, target=b, actor=pm)
    assert f"FB-{a.pk}" in exc.value.detail
    # Nothing moved by the refused attempts.
    assert FeedbackItem.objects.get(pk=c.pk).status == "new"


def test_merged_items_are_read_only_and_evidence_goes_to_the_target(dupes, pm):
    a, b = dupes["a"], dupes["b"]
    feedback_item_merge(source=b, target=a, actor=pm)
    b.refresh_from_db()
    for call in (
        lambda: feedback_item_update(item=b, actor=pm, title="x"),
        lambda: feedback_item_set_status(item=b, status="planned", actor=pm),
        lambda: evidence_add(item=b, actor=pm, source="call"),
    ):
        with pytest.raises(Conflict):
            call()
    with pytest.raises(Conflict):
        feedback_item_delete(item=a, actor=pm)  # B redirects to A
    with pytest.raises(ValidationFailed):
        feedback_item_set_status(item=a, status="merged", actor=pm)


def test_merging_a_chain_repoints_earlier_redirects(dupes, item, pm):
    a, b = dupes["a"], dupes["b"]
    c = item("Excel")
    feedback_item_merge(source=c, target=b, actor=pm)
    feedback_item_merge(source=b, target=a, actor=pm)
    c.refresh_from_db()
    assert c.merged_into_id == a.pk


def test_same_ticket_message_on_both_items_is_counted_once(dupes, pm):
    a, b = dupes["a"], dupes["b"]
    message = dupes["ann_ticket"].messages.first()
    # Ann's message is already on A; link it to B too.
    evidence_add(item=b, actor=dupes["agent"], message=message)
    assert Evidence.objects.filter(message=message).count() == 2
    before = Event.objects.count()
    feedback_item_merge(source=b, target=a, actor=pm)
    assert Evidence.objects.filter(message=message).count() == 1
    # A: Ann, Cho + moved: Ann (sales call), Dee; the duplicate message row was dropped: 4 mentions.
    assert selectors.feedback_item_stats(item=a)["mentions"] == 4
    assert Event.objects.count() == before + 2


def test_domain_errors_have_clear_messages(dupes, pm):
    with pytest.raises(DomainError) as exc:
        evidence_add(item=dupes["a"], actor=pm)
    assert exc.value.errors == {"source": "required without a ticket"}
