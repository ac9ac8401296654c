from conftest import assert_problem

from supportloop.accounts.choices import Role
from supportloop.core.models import Event
from supportloop.customers.models import Company, Contact


def test_company_and_contact_lifecycle(api_client):
    client = api_client(role=Role.AGENT)
    r = client.post(
        "companies",
        {
            "name": "Acme",
            "domains": ["ACME.example", "acme.example", "acme.test"],
            "plan": "pro",
            "mrr": "1250.50",
            "attributes": {"crm": "A-1", "seats": 40},
        },
    )
    assert r.status_code == 201, r.content
    company = r.json()
    assert company["domains"] == ["acme.example", "acme.test"] and company["mrr"] == "1250.50"
    assert company["attributes"] == {"crm": "A-1", "seats": 40}

    r = client.post("contacts", {"name": "Li Wei", "emails": ["Li@Acme.test", "li.wei@gmail.com"], "language": "zh"})
    contact = r.json()
    assert r.status_code == 201 and contact["company_id"] == company["id"] and contact["company_name"] == "Acme"
    assert contact["emails"] == ["li@acme.test", "li.wei@gmail.com"]

    r = client.patch(f"contacts/{contact['id']}", {"emails": ["li.wei@gmail.com"], "company_id": None})
    assert r.status_code == 200 and r.json()["emails"] == ["li.wei@gmail.com"] and r.json()["company_id"] is None
    r = client.patch(f"companies/{company['id']}", {"domains": ["acme.example"], "plan": "enterprise"})
    assert r.json()["domains"] == ["acme.example"] and r.json()["plan"] == "enterprise"
    verbs = list(Event.objects.order_by("id").values_list("verb", flat=True))
    assert verbs[-4:] == ["company.created", "contact.created", "contact.updated", "company.updated"]

    r = client.post(f"companies/{company['id']}/notes", {"body": "Renews in May — 续约"})
    assert r.status_code == 201 and r.json()["author_id"] == client.user.pk
    assert [n["body"] for n in client.get(f"companies/{company['id']}/notes").json()] == ["Renews in May — 续约"]
    assert client.get(f"contacts/{contact['id']}/notes").json() == []


def test_contact_list_filters_and_cursor(api_client, django_assert_num_queries):
    client = api_client(role=Role.VIEWER)
    writer = api_client(role=Role.AGENT)
    acme = writer.post("companies", {"name": "Acme", "domains": ["acme.example"]}).json()
    for i in range(5):
        writer.post("contacts", {"name": f"Person {i}", "emails": [f"p{i}@acme.example"]})
    writer.post("contacts", {"name": "Outsider", "emails": ["o@other.example"]})
    assert [c["name"] for c in client.get("contacts", {"company": acme["id"], "limit": 2}).json()["items"]] == [
        "Person 4",
        "Person 3",
    ]
    assert [c["name"] for c in client.get("contacts", {"email": "P2@acme.example"}).json()["items"]] == ["Person 2"]
    assert [c["name"] for c in client.get("contacts", {"q": "outs"}).json()["items"]] == ["Outsider"]
    seen, cursor = [], None
    while True:
        # the token (with its user), the contacts, their emails; the account's rate with the wrong-token check
        with django_assert_num_queries(3 + 1):
            page = client.get("contacts", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(Contact.objects.values_list("id", flat=True)) and len(seen) == 6


def test_contact_and_company_tickets(api_client, make_user, make_ticket):
    agent = make_user(Role.AGENT)
    client = api_client(user=agent)
    company = client.post("companies", {"name": "Acme", "domains": ["acme.example"]}).json()
    t1 = make_ticket(requester_email="a@acme.example", actor=agent)
    t2 = make_ticket(requester_email="b@acme.example", actor=agent)
    make_ticket(requester_email="c@else.example", actor=agent)
    assert [t["number"] for t in client.get(f"companies/{company['id']}/tickets").json()["items"]] == [
        t2.number,
        t1.number,
    ]
    assert [t["number"] for t in client.get(f"contacts/{t1.requester_id}/tickets").json()["items"]] == [t1.number]
    assert Company.objects.get(pk=company["id"]).tickets.count() == 2


def test_conflicting_domain_on_update_changes_nothing(api_client):
    client = api_client(role=Role.AGENT)
    client.post("companies", {"name": "A", "domains": ["a.example"]})
    b = client.post("companies", {"name": "B", "domains": ["b.example"]}).json()
    assert_problem(client.patch(f"companies/{b['id']}", {"name": "B2", "domains": ["a.example"]}), 409, field="domains")
    assert client.get(f"companies/{b['id']}").json()["name"] == "B"
