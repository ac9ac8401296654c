from conftest import assert_problem

from supportloop.accounts.choices import Role
from supportloop.core.models import Event
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.selectors import ticket_status_counts


def test_create_matches_company_by_domain_and_round_trips_any_script(api_client, db):
    from supportloop.customers.services import company_create

    acme = company_create(name="Acme", domains=["acme.example"], plan="pro", mrr=900)
    client = api_client(role=Role.AGENT)
    body = "Привет! 你好 🎉 مرحبا\nline two"
    response = client.post(
        "tickets",
        {
            "subject": "导出失败 — экспорт",
            "body": body,
            "requester_email": "Li.Wei@ACME.example",
            "tags": ["Export", "export"],
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["subject"] == "导出失败 — экспорт"
    assert data["messages"][0]["body_text"] == body
    assert data["company_id"] == acme.pk
    assert data["tags"] == ["export"]
    assert data["number"] == Ticket.objects.get().number
    assert Event.objects.filter(verb="ticket.created", target_id=str(Ticket.objects.get().pk)).count() == 1
    assert ticket_status_counts()["new"] == 1


def test_unknown_field_and_nul_byte_are_refused_and_nothing_is_written(api_client, db):
    client = api_client(role=Role.AGENT)
    r = client.post("tickets", {"subject": "x", "body": "y", "requester_email": "a@b.example", "colour": "red"})
    assert_problem(r, 422, field="colour")
    r = client.post("tickets", {"subject": "x", "body": "a\x00b", "requester_email": "a@b.example"})
    assert_problem(r, 422, field="body")
    assert Ticket.objects.count() == 0 and Message.objects.count() == 0


def test_viewer_cannot_create(api_client, db):
    r = api_client(role=Role.VIEWER).post("tickets", {"subject": "x", "body": "y", "requester_email": "a@b.example"})
    assert_problem(r, 403)


def test_list_uses_constant_queries_and_cursor_walks_all(api_client, db, django_assert_max_num_queries):
    client = api_client(role=Role.AGENT)
    for i in range(7):
        client.post("tickets", {"subject": f"t{i}", "body": "b", "requester_email": f"c{i}@x.example"})
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        with django_assert_max_num_queries(4 + 1):  # + the account's rate counter with the wrong-token check
            r = client.get("tickets", params)
        page = r.json()
        seen += [t["number"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(Ticket.objects.values_list("number", flat=True))
    assert len(seen) == 7


def test_the_created_ticket_answered_from_memory_equals_what_a_read_returns(api_client, db):
    from supportloop.accounts.services import team_create
    from supportloop.tickets.services import contact_reason_create, product_area_create, product_feature_create

    client = api_client(role=Role.ADMIN)
    team = team_create(name="Billing", slug="billing")
    # Created after the taxonomy index was last loaded: the answer must still name them.
    client.get("tickets")
    feature = product_feature_create(area=product_area_create(name="Invoices"), name="PDF export")
    reason = contact_reason_create(name="Bug")
    response = client.post(
        "tickets",
        {
            "subject": "Export",
            "body": "It fails",
            "body_html": "<p>It <b>fails</b></p>",
            "requester_email": "ann@acme.example",
            "requester_name": "Ann",
            "tags": ["b", "A", "b"],
            "followers": ["Zed@x.example", "amy@x.example"],
            "priority": "high",
            "team_id": team.pk,
            "assignee_id": client.user.pk,
            "product_feature": feature.slug,
            "contact_reason": reason.slug,
            "language": "ru",
            "external_id": "ext-1@acme.example",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    read = client.get(f"tickets/{created['number']}")
    assert read.status_code == 200
    assert created == read.json()
    assert (created["tags"], created["product_area"], created["product_feature"], created["contact_reason"]) == (
        ["a", "b"],
        feature.area.slug,
        feature.slug,
        reason.slug,
    )
