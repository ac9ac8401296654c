"""List and detail endpoints run a constant number of queries, whatever the page size or message count."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportloop.accounts.choices import Role
from supportloop.accounts.services import team_create
from supportloop.customers.services import company_create
from supportloop.tickets.services import (
    attachment_add,
    contact_reason_create,
    product_area_create,
    product_feature_create,
    ticket_add_note,
    ticket_create,
    ticket_reply,
)
from supportloop.tickets.services.tickets import IncomingFile

# Every bearer request also counts itself against the account's rate and reads its address's wrong-token counter
# (core/ratelimit.py, database store: one statement for both, independent of the page).
LIMITS = 1


def queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path, params)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries)


def _ticket(agent, i, team, feature, reason):
    return ticket_create(
        subject=f"t{i}",
        body="b",
        requester_email=f"c{i}@co{i}.example",
        actor=agent,
        assignee=agent,
        team=team,
        product_feature=feature,
        contact_reason=reason,
        tags=["a", f"t{i}"],
    )


def test_ticket_list_queries_do_not_grow_with_the_page(api_client, make_user):
    agent = make_user(Role.AGENT)
    client = api_client(user=agent)
    client.get("users/me")  # the token's last_used_at is touched once a minute: do it before measuring
    team = team_create(name="T", slug="t")
    feature = product_feature_create(area=product_area_create(name="A"), name="F")
    reason = contact_reason_create(name="R")
    _ticket(agent, 0, team, feature, reason)
    # A cold taxonomy index costs its three small tables once (then it is cached; see tickets/taxonomy_index.py).
    assert queries(client, "tickets", {"limit": 1}) == 3 + 3 + LIMITS
    one = queries(client, "tickets", {"limit": 1})
    for i in range(1, 25):
        _ticket(agent, i, team, feature, reason)
    assert queries(client, "tickets", {"limit": 25}) == one == 3 + LIMITS  # token+user, tickets with joins, tags
    assert queries(client, "tickets", {"limit": 25, "status": "new", "team": team.pk}) == one
    big = company_create(name="Big", domains=["big.example"])
    ticket_create(subject="s", body="b", requester_email="x@big.example", actor=agent)
    small = queries(client, f"companies/{big.pk}/tickets")
    for i in range(10):
        ticket_create(subject="s", body="b", requester_email=f"x{i}@big.example", actor=agent, tags=[str(i)])
    assert queries(client, f"companies/{big.pk}/tickets") == small == one + 2  # + the company and its domains


def test_ticket_detail_queries_do_not_grow_with_the_messages(api_client, make_user):
    agent = make_user(Role.AGENT)
    client = api_client(user=agent)
    client.get("users/me")
    ticket = ticket_create(subject="s", body="b", requester_email="a@b.example", actor=agent, tags=["x"])
    queries(client, f"tickets/{ticket.number}")  # warms the taxonomy index
    few = queries(client, f"tickets/{ticket.number}")
    for i in range(10):
        message = ticket_reply(ticket=ticket, actor=agent, body=f"r{i}")
        attachment_add(message=message, files=[IncomingFile(f"{i}.txt", b"x")], actor=agent)
        ticket_add_note(ticket=ticket, actor=agent, body=f"n{i}")
    # token, ticket, tags, messages, attachments
    assert queries(client, f"tickets/{ticket.number}") == few == 5 + LIMITS


def test_changes_feed_queries_do_not_grow_with_the_page(api_client, make_user):
    admin = make_user(Role.ADMIN)
    client = api_client(user=admin)
    client.get("users/me")
    ticket_create(subject="s", body="b", requester_email="a@b.example", actor=admin)
    queries(client, "changes")  # warms the taxonomy index
    few = queries(client, "changes")
    for i in range(15):
        ticket_create(subject="s", body="b", requester_email=f"a{i}@b{i}.example", actor=admin)
    assert queries(client, "changes") == few


def _writes(client, path, body, capture) -> list[str]:
    """The statements of one write request, its after-commit listeners included."""
    with CaptureQueriesContext(connection) as ctx, capture(execute=True):
        r = client.post(path, body)
    assert r.status_code == 201, r.content
    return [q["sql"] for q in ctx.captured_queries]


def _version_reads(sql: list[str]) -> list[str]:
    return [q for q in sql if q.startswith("SELECT") and "core_counter" in q and "automation." in q]


def test_a_create_and_a_reply_read_the_automation_versions_once_and_no_attachments(
    api_client, django_capture_on_commit_callbacks
):
    """Routing, SLA policies, triggers and webhook subscriptions are per-process caches behind version counters:
    one query reads all the counters per ticket event (it was one per listener, and the policies were read on
    every event). A JSON reply is answered without reading its attachments, and it saves only its columns."""
    client = api_client()
    sql = _writes(
        client,
        "/api/v1/tickets",
        {"subject": "s", "body": "b", "requester_email": "q@c.example"},
        django_capture_on_commit_callbacks,
    )
    assert len(_version_reads(sql)) == 1, _version_reads(sql)
    number = client.get("/api/v1/tickets").json()["items"][0]["number"]
    sql = _writes(client, f"/api/v1/tickets/{number}/replies", {"body": "r"}, django_capture_on_commit_callbacks)
    assert len(_version_reads(sql)) == 1, _version_reads(sql)
    assert not [q for q in sql if "automation_slapolicy" in q]  # cached since the create
    assert not [q for q in sql if "tickets_attachment" in q]
    (update,) = [q for q in sql if q.startswith('UPDATE "tickets_ticket"')]
    assert '"public_reply_count"' in update and '"subject"' not in update


def test_a_reply_or_note_reads_its_ticket_by_number_once_and_locked(api_client, make_user):
    agent = make_user(Role.AGENT)
    client = api_client(user=agent)
    client.get("users/me")
    ticket = ticket_create(subject="s", body="b", requester_email="n@once.example", actor=agent)
    for path in ("replies", "notes"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.post(f"tickets/{ticket.number}/{path}", {"body": "hello"}).status_code == 201
        by_number = [q["sql"] for q in ctx.captured_queries if '"tickets_ticket"."number" =' in q["sql"]]
        assert len(by_number) == 1, by_number
        assert "FOR UPDATE" in by_number[0] or connection.vendor == "sqlite"  # SQLite locks the whole database
