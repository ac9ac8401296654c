"""Taxonomy, macros, users, teams and tokens through the API."""

from conftest import assert_problem

from supportloop.accounts.choices import Role
from supportloop.accounts.models import ApiToken
from supportloop.accounts.services import hash_token
from supportloop.tickets.models import Macro, MacroApplication, Ticket


def test_taxonomy_tree_and_moving_a_feature_moves_its_tickets(api_client, make_user):
    admin = api_client(role=Role.ADMIN)
    billing = admin.post("taxonomy/areas", {"name": "Billing"}).json()
    account = admin.post("taxonomy/areas", {"name": "Account", "position": 1}).json()
    feature = admin.post(f"taxonomy/areas/{billing['id']}/features", {"name": "Invoices"}).json()
    assert feature["slug"] == "billing-invoices"
    agent = api_client(role=Role.AGENT)
    r = agent.post(
        "tickets",
        {"subject": "s", "body": "b", "requester_email": "a@b.example", "product_feature": "billing-invoices"},
    )
    assert r.json()["product_area"] == "billing"
    tree = agent.get("taxonomy/areas").json()
    assert [(a["slug"], [f["slug"] for f in a["features"]]) for a in tree] == [
        ("billing", ["billing-invoices"]),
        ("account", []),
    ]
    assert (
        admin.patch(f"taxonomy/features/{feature['id']}", {"area_id": account["id"]}).json()["area_id"] == account["id"]
    )
    assert Ticket.objects.get().product_area.slug == "account"
    assert_problem(admin.patch(f"taxonomy/features/{feature['id']}", {"area_id": 10**9}), 422, field="area_id")
    assert_problem(agent.post("taxonomy/reasons", {"name": "x"}), 403)


def test_macro_preview_renders_placeholders_without_applying(api_client, make_user, make_ticket):
    lead = api_client(role=Role.LEAD)
    agent_user = make_user(Role.AGENT, first_name="Ana")
    agent = api_client(user=agent_user)
    macro = lead.post(
        "macros",
        {
            "name": "Thanks",
            "body": "Hi {{ contact.first_name }}, re #{{ ticket.number }}. {{ agent.first_name }}",
            "actions": {"status": "pending", "add_tags": ["vip"]},
        },
    )
    assert macro.status_code == 201, macro.content
    macro = macro.json()
    assert macro["actions"] == {"status": "pending", "add_tags": ["vip"]}
    ticket = make_ticket(requester_email="li.wei@x.example", requester_name="Li Wei", actor=agent_user)
    r = agent.get(f"macros/{macro['id']}/preview", {"ticket": ticket.number})
    assert r.json()["body"] == f"Hi Li, re #{ticket.number}. Ana"
    assert MacroApplication.objects.count() == 0 and Macro.objects.get().usage_count == 0
    assert_problem(lead.post("macros", {"name": "Bad", "body": "{{ contact.shoe_size }}"}), 422, field="body")
    assert_problem(agent.patch(f"macros/{macro['id']}", {"body": "x"}), 403)
    assert lead.patch(f"macros/{macro['id']}", {"is_active": False}).json()["is_active"] is False
    assert [m["name"] for m in agent.get("macros", {"active": True}).json()] == []


def test_users_and_teams(api_client):
    admin = api_client(role=Role.ADMIN)
    sam = admin.post("users", {"username": "sam", "email": "Sam@Staff.example", "role": "agent"}).json()
    assert sam["email"] == "sam@staff.example" and sam["role"] == "agent"
    team = admin.post("teams", {"name": "Tier 2", "slug": "tier-2", "member_ids": [sam["id"]]}).json()
    assert team["member_ids"] == [sam["id"]]
    assert admin.get(f"users/{sam['id']}").json()["teams"] == ["tier-2"]
    assert admin.patch(f"users/{sam['id']}", {"role": "lead"}).json()["role"] == "lead"
    assert admin.patch(f"teams/{team['id']}", {"member_ids": []}).json()["member_ids"] == []
    assert [u["username"] for u in admin.get("users", {"role": "lead"}).json()] == ["sam"]
    viewer = api_client(role=Role.VIEWER)
    assert viewer.get("users/me").json()["role"] == "viewer"
    assert_problem(viewer.patch(f"users/{sam['id']}", {"role": "admin"}), 403)


def test_token_secret_is_shown_once_works_and_stops_working_when_revoked(api_client):
    client = api_client(role=Role.AGENT)
    r = client.post("tokens", {"name": "laptop"})
    assert r.status_code == 201
    created = r.json()
    secret = created["secret"]
    stored = ApiToken.objects.get(pk=created["id"])
    assert stored.key_hash == hash_token(secret) and secret not in (stored.key_hash, stored.prefix)
    listed = client.get("tokens").json()
    assert {t["name"] for t in listed} == {"test", "laptop"} and all("secret" not in t for t in listed)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.client.get("/api/v1/users/me", **auth).json()["id"] == client.user.pk
    assert client.delete(f"tokens/{created['id']}").json()["revoked_at"] is not None
    assert_problem(client.client.get("/api/v1/users/me", **auth), 401)
    other = api_client(role=Role.AGENT)
    assert_problem(other.delete(f"tokens/{created['id']}"), 404)  # another user's token is not theirs to see
