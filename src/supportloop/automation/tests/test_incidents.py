"""Incidents: who may declare, matching new tickets by keyword and area through the real ticket listener, links by
hand, the resolve preview, and the bulk reply: through ticket_reply (mail by the normal path), in throttled
batches, once per ticket even when run twice or by two workers at the same moment."""

from __future__ import annotations

import threading

import pytest

from supportloop.accounts.choices import Role
from supportloop.automation import incident_tasks
from supportloop.automation.models import Incident, IncidentTicket
from supportloop.automation.services import incidents as services
from supportloop.automation.services.incidents import (
    incident_declare,
    incident_reply_batch,
    incident_reply_one,
    incident_resolve,
    incident_resolve_preview,
    incident_ticket_link,
    incident_ticket_unlink,
    open_incidents,
)
from supportloop.core.errors import Conflict, PermissionDenied, ValidationFailed
from supportloop.core.models import Event
from supportloop.feedback.tests.concurrency import in_thread, separate_connections
from supportloop.tickets.models import Macro, Message
from supportloop.tickets.services import product_area_create, product_feature_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(make_user):
    return make_user(Role.LEAD)


@pytest.fixture
def area(db):
    return product_area_create(name="Exports")


def _feature(area):
    """Tickets get their product area from their feature (ticket_create)."""
    return product_feature_create(area=area, name=f"{area.name} feature")


def _linked_numbers(incident: Incident) -> list[int]:
    return sorted(IncidentTicket.objects.filter(incident=incident).values_list("ticket__number", flat=True))


@pytest.mark.parametrize("role", [Role.AGENT, Role.PRODUCT, Role.VIEWER])
def test_only_leads_and_admins_declare(make_user, role):
    with pytest.raises(PermissionDenied):
        incident_declare(actor=make_user(role), title="Down", customer_text="Sorry")
    assert not Incident.objects.exists()


def test_declaring_writes_an_audit_event_and_a_macro_with_the_customer_text(lead, area):
    incident = incident_declare(
        actor=lead,
        title="CSV export fails",
        customer_text="Exports fail; we are on it.",
        product_area=area,
        keywords=["CSV", "csv", " export "],
    )
    assert incident.keywords == ["CSV", "export"]  # trimmed, repeats (in any case) dropped
    macro = Macro.objects.get(pk=incident.macro_id)
    assert macro.body == "Exports fail; we are on it." and macro.is_active
    event = Event.objects.get(verb="incident.declared")
    assert event.target_id == str(incident.pk) and event.actor_id == lead.pk
    assert [o.id for o in open_incidents()] == [incident.pk]


def test_declaring_refuses_hostile_or_empty_input(lead):
    with pytest.raises(ValidationFailed):
        incident_declare(actor=lead, title="  ", customer_text="x")
    with pytest.raises(ValidationFailed):
        incident_declare(actor=lead, title="x", customer_text="nul \x00 here")
    with pytest.raises(ValidationFailed):
        incident_declare(actor=lead, title="x", customer_text="y", keywords="not a list")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        incident_declare(actor=lead, title="x", customer_text="y", keywords=[str(i) for i in range(51)])


def test_new_tickets_matching_keyword_and_area_are_linked_by_the_listener(
    lead, area, make_ticket, django_capture_on_commit_callbacks
):
    other_area = product_area_create(name="Billing")
    feature, other_feature = _feature(area), _feature(other_area)
    incident = incident_declare(
        actor=lead, title="Export outage", customer_text="We know.", product_area=area, keywords=["export", "导出"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        by_subject = make_ticket("EXPORT broken", product_feature=feature)
        by_body = make_ticket("Help", body="导出 CSV 一直转圈", product_feature=feature)
        wrong_area = make_ticket("Export broken", product_feature=other_feature)
        no_keyword = make_ticket("Login broken", product_feature=feature)
        no_area = make_ticket("Export broken")
    assert _linked_numbers(incident) == sorted([by_subject.number, by_body.number])
    link = IncidentTicket.objects.get(ticket=by_subject)
    assert link.source == "matched" and link.linked_by is None
    assert Event.objects.filter(verb="ticket.incident_linked", target_id=str(by_subject.pk)).exists()
    del wrong_area, no_keyword, no_area


def test_an_incident_with_only_keywords_matches_any_area_and_one_with_neither_matches_nothing(
    lead, area, make_ticket, django_capture_on_commit_callbacks
):
    by_keyword = incident_declare(actor=lead, title="Login", customer_text="x", keywords=["login"])
    by_area = incident_declare(actor=lead, title="Area", customer_text="x", product_area=area)
    by_hand = incident_declare(actor=lead, title="Manual only", customer_text="x")
    feature = _feature(area)
    with django_capture_on_commit_callbacks(execute=True):
        t1 = make_ticket("Login fails", product_feature=feature)
        t2 = make_ticket("Something else", product_feature=feature)
    assert _linked_numbers(by_keyword) == [t1.number]
    assert _linked_numbers(by_area) == sorted([t1.number, t2.number])
    assert _linked_numbers(by_hand) == []


def test_matching_costs_no_query_while_no_incident_is_open(make_ticket, django_assert_num_queries):
    ticket = make_ticket("Anything")
    open_incidents()  # the cache, warm (a cold one costs one query, the first ticket after 15 seconds)
    with django_assert_num_queries(0):
        assert services.incidents_match_ticket(ticket_id=ticket.pk) == []


def test_a_resolved_incident_no_longer_matches(lead, make_ticket, django_capture_on_commit_callbacks):
    incident = incident_declare(actor=lead, title="Login", customer_text="x", keywords=["login"])
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=lead)
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket("Login fails")
    assert _linked_numbers(incident) == []
    assert open_incidents() == ()
    assert not Macro.objects.get(pk=incident.macro_id).is_active  # the macro is no longer offered


def test_link_and_unlink_by_hand(lead, make_ticket, make_user):
    incident = incident_declare(actor=lead, title="Outage", customer_text="x")
    ticket = make_ticket("Anything")
    incident_ticket_link(incident=incident, ticket=ticket, actor=lead)
    with pytest.raises(Conflict):
        incident_ticket_link(incident=incident, ticket=ticket, actor=lead)
    with pytest.raises(PermissionDenied):
        incident_ticket_unlink(incident=incident, ticket=ticket, actor=make_user(Role.AGENT))
    incident_ticket_unlink(incident=incident, ticket=ticket, actor=lead)
    assert _linked_numbers(incident) == []
    with pytest.raises(Conflict):
        incident_ticket_unlink(incident=incident, ticket=ticket, actor=lead)
    verbs = list(
        Event.objects.filter(verb__startswith="incident.ticket_").order_by("pk").values_list("verb", flat=True)
    )
    assert verbs == ["incident.ticket_linked", "incident.ticket_unlinked"]


def test_resolve_preview_counts_the_tickets_and_shows_the_text_without_writing(lead, make_ticket):
    incident = incident_declare(actor=lead, title="Outage", customer_text="It is fixed now.")
    for n in range(3):
        incident_ticket_link(incident=incident, ticket=make_ticket(f"T{n}"), actor=lead)
    events = Event.objects.count()
    preview = incident_resolve_preview(incident=incident)
    assert (preview.tickets, preview.text) == (3, "It is fixed now.")
    assert incident_resolve_preview(incident=incident, reply_text="Other words").text == "Other words"
    assert Event.objects.count() == events and Incident.objects.get(pk=incident.pk).status == "declared"


def test_resolving_replies_once_to_every_linked_ticket_through_the_normal_reply_path(
    lead, make_ticket, mailoutbox, django_capture_on_commit_callbacks
):
    incident = incident_declare(actor=lead, title="Outage", customer_text="We are on it.")
    tickets = [make_ticket(f"Down {n}") for n in range(3)]
    for t in tickets:
        incident_ticket_link(incident=incident, ticket=t, actor=lead)
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=lead, reply_text="Fixed at 10:00 UTC. Sorry for the trouble.")
    for t in tickets:
        replies = Message.objects.filter(ticket=t, kind="reply", author_user=lead)
        assert [m.body_text for m in replies] == ["Fixed at 10:00 UTC. Sorry for the trouble."]
    assert IncidentTicket.objects.filter(incident=incident, reply_sent_at__isnull=True).count() == 0
    assert Event.objects.filter(verb="incident.reply_sent").count() == 3
    assert Event.objects.filter(verb="ticket.replied", actor=lead).count() == 3  # ticket_reply's own events
    # Running the task again replies to nobody; resolving again is refused.
    incident_tasks.incident_reply.call(incident_id=incident.pk)
    assert Message.objects.filter(kind="reply", body_text__startswith="Fixed at 10:00").count() == 3
    with pytest.raises(Conflict):
        incident_resolve(incident=incident, actor=lead)


def test_the_reply_goes_in_batches(lead, make_ticket, monkeypatch):
    incident = incident_declare(actor=lead, title="Outage", customer_text="Fixed.")
    for n in range(5):
        incident_ticket_link(incident=incident, ticket=make_ticket(f"T{n}"), actor=lead)
    incident_resolve(incident=incident, actor=lead)  # no on-commit run here: the batches are driven by hand
    first = incident_reply_batch(incident_id=incident.pk, batch_size=2)
    assert (first.sent, first.remaining) == (2, 3)
    second = incident_reply_batch(incident_id=incident.pk, batch_size=2)
    assert (second.sent, second.remaining) == (2, 1)
    assert Message.objects.filter(kind="reply", body_text="Fixed.").count() == 4


def test_the_task_queues_its_next_batch_after_a_pause_on_a_backend_that_can_wait(
    lead, make_ticket, settings, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    incident = incident_declare(actor=lead, title="Outage", customer_text="Fixed.")
    for n in range(3):
        incident_ticket_link(incident=incident, ticket=make_ticket(f"T{n}"), actor=lead)
    incident_resolve(incident=incident, actor=lead)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(services, "REPLY_BATCH", 2)
    incident_tasks.incident_reply.call(incident_id=incident.pk)
    queued = DBTaskResult.objects.get(task_path=incident_tasks.incident_reply.module_path)
    assert queued.args_kwargs["kwargs"] == {"incident_id": incident.pk}
    assert queued.run_after is not None
    assert Message.objects.filter(kind="reply", body_text="Fixed.").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_reply_once_to_each_ticket(tmp_path, make_user, make_ticket, monkeypatch):
    monkeypatch.setattr(services, "job_enqueue", lambda *args, **kwargs: None)  # the workers below do the job
    lead = make_user(Role.LEAD)
    incident = incident_declare(actor=lead, title="Outage", customer_text="Fixed.")
    links = [incident_ticket_link(incident=incident, ticket=make_ticket(f"T{n}"), actor=lead) for n in range(4)]
    incident_resolve(incident=incident, actor=lead)
    with separate_connections(tmp_path) as connect_here:
        start = threading.Barrier(2)

        def worker():
            start.wait()
            return [incident_reply_one(link_id=link.pk) for link in links]

        threads = [in_thread(worker, connect_here) for _ in range(2)]
        for t in threads:
            t.join(30)
        for t in threads:
            assert t.error is None, t.error
        results = [t.result for t in threads]
        assert [a or b for a, b in zip(*results, strict=True)] == [True] * 4
        assert [a and b for a, b in zip(*results, strict=True)] == [False] * 4  # never both
        assert Message.objects.filter(kind="reply", body_text="Fixed.").count() == 4
        assert IncidentTicket.objects.filter(reply_sent_at__isnull=True).count() == 0
