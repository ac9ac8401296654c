"""One ticket counts once per item unless a different message or quote is given: a repeat link is refused
with the existing evidence (409 in the API), in the service, in the database, and when two links race."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import assert_problem
from django.db import IntegrityError, transaction
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.core.errors import Conflict
from supportloop.feedback import selectors
from supportloop.feedback.models import Evidence, ItemStats, ItemWeek
from supportloop.feedback.rollups import stats_rebuild_all
from supportloop.feedback.services import evidence_add, feedback_item_merge


@pytest.fixture
def asked(db, company, contact, ticket_for, item, agent):
    acme = company("Acme", "pro", 1000)
    ann = contact("Ann", acme)
    return {"ann": ann, "ticket": ticket_for(ann, body="Please let us export to Excel"), "item": item(), "agent": agent}


def _figures(item) -> tuple:
    stats = selectors.feedback_item_stats(item=item)
    return stats["mentions"], stats["unique_contacts"], stats["recent_4w"], sum(stats["weekly"])


def test_linking_the_same_ticket_again_is_refused_with_the_existing_evidence(asked):
    item, ticket, agent = asked["item"], asked["ticket"], asked["agent"]
    first = evidence_add(item=item, actor=agent, ticket=ticket)
    for repeat in ({}, {"quote": "  Please let us\nexport to Excel "}, {"importance": "blocker"}):
        with pytest.raises(Conflict) as exc:
            evidence_add(item=item, actor=agent, ticket=ticket, **repeat)
        assert exc.value.extra == {"existing_evidence_id": first.pk}
        assert f"#{ticket.number}" in exc.value.detail and item.reference in exc.value.detail
    # By hand: one mention, one contact, this week's count 1, the 4-week trend 1.
    assert _figures(item) == (1, 1, 1, 1)
    assert ItemWeek.objects.get(item=item).mentions == 1

    # A different quote from the same ticket, or a named message, is another mention of the same customer.
    evidence_add(item=item, actor=agent, ticket=ticket, quote="and to CSV as well")
    message = ticket.messages.get()
    by_message = evidence_add(item=item, actor=agent, message=message)
    with pytest.raises(Conflict) as exc:
        evidence_add(item=item, actor=agent, message=message, quote="another quote of it")
    assert exc.value.extra == {"existing_evidence_id": by_message.pk}
    # By hand: three mentions, still one customer.
    assert _figures(item) == (3, 1, 3, 3)
    before = selectors.feedback_item_stats(item=item)
    stats_rebuild_all()
    assert selectors.feedback_item_stats(item=item) == before


def test_the_database_refuses_a_repeat_that_bypasses_the_service(asked):
    item, ticket, agent = asked["item"], asked["ticket"], asked["agent"]
    first = evidence_add(item=item, actor=agent, ticket=ticket)
    by_message = evidence_add(item=item, actor=agent, message=ticket.messages.get())
    for original in (first, by_message):
        copy = Evidence.objects.values().get(pk=original.pk)
        copy.pop("id")
        with pytest.raises(IntegrityError), transaction.atomic():
            Evidence.objects.create(**copy)


def test_merging_keeps_one_link_of_a_ticket_linked_to_both_items(asked, item, pm):
    target, ticket, agent = asked["item"], asked["ticket"], asked["agent"]
    duplicate = item("Excel export (duplicate)")
    evidence_add(item=target, actor=agent, ticket=ticket)
    evidence_add(item=duplicate, actor=agent, ticket=ticket)
    evidence_add(item=duplicate, actor=agent, ticket=ticket, quote="CSV would do too")
    feedback_item_merge(source=duplicate, target=target, actor=pm)
    # By hand: the same link is kept once, the other quote moves: two mentions, one customer.
    assert sorted(Evidence.objects.filter(item=target).values_list("quote", flat=True)) == [
        "CSV would do too",
        "Please let us export to Excel",
    ]
    assert _figures(target)[:2] == (2, 1)
    assert ItemStats.objects.get(item=target).mrr == Decimal("1000.00")


def test_the_api_answers_a_repeat_with_409_naming_the_existing_evidence(api_client, asked):
    agent = api_client(role=Role.AGENT)
    item, ticket = asked["item"], asked["ticket"]
    created = agent.post(f"feedback/items/{item.pk}/evidence", {"ticket_number": ticket.number})
    assert created.status_code == 201
    repeat = agent.post(f"feedback/items/{item.pk}/evidence", {"ticket_number": ticket.number})
    body = assert_problem(repeat, 409)
    assert body["existing_evidence_id"] == created.json()["id"]
    assert str(created.json()["id"]) in body["detail"]
    assert Evidence.objects.filter(item=item).count() == 1
    assert agent.get(f"feedback/items/{item.pk}").json()["stats"]["mentions"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_links_of_the_same_ticket_at_once_land_once(tmp_path, monkeypatch):
    from supportloop.accounts.services import user_create
    from supportloop.customers.services import contact_create
    from supportloop.feedback.services import evidence as evidence_services
    from supportloop.feedback.services import feedback_item_create
    from supportloop.feedback.tests.concurrency import in_thread, separate_connections
    from supportloop.tickets.services import ticket_create

    with separate_connections(tmp_path) as connect_here:
        agent = user_create(username="agent-race", role=Role.AGENT)
        ann = contact_create(name="Ann", emails=["ann@race.example"])
        ticket = ticket_create(
            subject="Export", body="Excel please", requester=ann, created_at=timezone.now() - timedelta(days=1)
        )
        item = feedback_item_create(kind="feature_request", title="Excel export", actor=agent)
        # Both requests pass the duplicate check before either writes (the race the database must settle).
        both_checked = threading.Barrier(2, timeout=3)
        real_find = evidence_services.evidence_duplicate_find

        def find_then_wait(**kwargs):
            found = real_find(**kwargs)
            # SQLite: the other request waits for this one's write lock, so they cannot overlap
            with contextlib.suppress(threading.BrokenBarrierError):
                both_checked.wait()
            return found

        monkeypatch.setattr(evidence_services, "evidence_duplicate_find", find_then_wait)
        link = lambda: evidence_add(item=item, actor=agent, ticket=ticket)  # noqa: E731
        threads = [in_thread(link, connect_here) for _ in range(2)]
        for thread in threads:
            thread.join(30)
        outcomes = sorted(type(t.error).__name__ if t.error else "linked" for t in threads)
        assert outcomes == ["Conflict", "linked"], [t.error for t in threads]
        landed = Evidence.objects.get(item=item)
        refused = next(t.error for t in threads if t.error)
        assert refused.extra == {"existing_evidence_id": landed.pk}
        assert ItemStats.objects.get(item=item).mentions == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_removes_repeats_linked_before_and_recomputes_the_counts():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from supportloop.accounts.services import user_create
    from supportloop.core.models import Event
    from supportloop.customers.services import contact_create
    from supportloop.feedback.services import feedback_item_create
    from supportloop.tickets.services import ticket_create

    before, after = ("feedback", "0009_digest_delivery"), ("feedback", "0010_notice_retries_evidence_once")
    agent = user_create(username="agent-migration", role=Role.AGENT)
    ann = contact_create(name="Ann", emails=["ann@migration.example"])
    ticket = ticket_create(subject="Export", body="Excel please", requester=ann)
    item = feedback_item_create(kind="feature_request", title="Excel export", actor=agent)
    by_ticket = evidence_add(item=item, actor=agent, ticket=ticket)
    by_message = evidence_add(item=item, actor=agent, message=ticket.messages.get(), quote="Excel!")
    other_quote = evidence_add(item=item, actor=agent, ticket=ticket, quote="and CSV")

    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    OldEvidence, OldStats = old.get_model("feedback", "Evidence"), old.get_model("feedback", "ItemStats")
    repeats = []
    for original, changes in ((by_ticket, {"quote": " Excel  please "}), (by_ticket, {}), (by_message, {})):
        row = OldEvidence.objects.values().get(pk=original.pk)
        row.pop("id")
        repeats.append(OldEvidence.objects.create(**{**row, **changes}).pk)
    OldStats.objects.filter(item_id=item.pk).update(mentions=6)  # what the old code counted

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # later migrations keep what this one did
    # By hand: the three repeats go, the ticket link, the message link and the other quote stay: 3 mentions.
    assert sorted(Evidence.objects.filter(item=item).values_list("pk", flat=True)) == sorted(
        [by_ticket.pk, by_message.pk, other_quote.pk]
    )
    assert ItemStats.objects.get(item=item).mentions == 3
    event = Event.objects.get(verb="feedback_item.evidence_repeats_removed")
    assert (event.target_id, sorted(event.changes["evidence"][0])) == (str(item.pk), sorted(repeats))
    assert Evidence.objects.get(pk=by_ticket.pk).link_key is not None
