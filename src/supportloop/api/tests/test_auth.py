from conftest import assert_problem
from django.test import Client

from supportloop.accounts.choices import Role


def test_a_browser_session_works_and_its_writes_need_the_csrf_token(make_user):
    user = make_user(Role.AGENT)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/users/me").json()["id"] == user.pk
    r = client.post("/api/v1/contacts", {"emails": ["a@b.example"]}, content_type="application/json")
    assert_problem(r, 403)
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    r = client.post(
        "/api/v1/contacts",
        {"emails": ["a@b.example"]},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret),
    )
    assert r.status_code == 201, r.content


def test_a_token_acts_as_its_user_with_that_users_role(api_client, make_user):
    viewer = make_user(Role.VIEWER)
    client = api_client(user=viewer)
    assert client.get("users/me").json()["username"] == viewer.username
    assert_problem(client.post("contacts", {"emails": ["a@b.example"]}), 403)
    body = assert_problem(Client().get("/api/v1/users/me", HTTP_AUTHORIZATION="Token nope"), 401)
    assert "Bearer" in body["detail"]


def test_an_anonymous_write_is_401_not_a_csrf_refusal_and_a_session_write_without_csrf_is_403(make_user):
    client = Client(enforce_csrf_checks=True)
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer slp_wrong"}, {"HTTP_AUTHORIZATION": "Bearer"}):
        body = assert_problem(
            client.post("/api/v1/contacts", {"emails": ["a@b.example"]}, content_type="application/json", **headers),
            401,
        )
        assert "CSRF" not in body["detail"]
    client.force_login(make_user(Role.AGENT))
    body = assert_problem(
        client.post("/api/v1/contacts", {"emails": ["a@b.example"]}, content_type="application/json"), 403
    )
    assert "CSRF" in body["detail"]


def test_a_viewer_creates_a_read_only_token_that_reads_and_never_writes(make_user):
    from supportloop.accounts.models import ApiToken
    from supportloop.customers.models import Contact

    viewer = make_user(Role.VIEWER)
    session = Client()
    session.force_login(viewer)
    created = session.post("/api/v1/tokens", {"name": "dashboard"}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["read_only"] is True and ApiToken.objects.get(user=viewer).read_only
    body = assert_problem(
        session.post("/api/v1/tokens", {"name": "rw", "read_only": False}, content_type="application/json"), 403
    )
    assert "token.read_write" in body["detail"]
    assert ApiToken.objects.filter(user=viewer).count() == 1

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {created.json()['secret']}"}
    assert Client().get("/api/v1/users/me", **bearer).json()["id"] == viewer.pk
    token_id = created.json()["id"]
    for method, url in (
        ("post", "tokens"),
        ("delete", f"tokens/{token_id}"),
        ("post", "contacts"),
        ("patch", f"users/{viewer.pk}"),
    ):
        body = assert_problem(
            getattr(Client(), method)(
                f"/api/v1/{url}", {"name": "x", "emails": ["a@b.example"]}, content_type="application/json", **bearer
            ),
            403,
        )
        assert "read-only" in body["detail"]
    assert ApiToken.objects.filter(user=viewer, revoked_at=None).count() == 1 and not Contact.objects.exists()


def test_any_role_may_ask_for_a_read_only_token_and_a_demoted_users_old_token_stops_writing(api_client, make_user):
    from supportloop.accounts.services import user_update

    agent = make_user(Role.AGENT)
    client = api_client(user=agent)
    reader = client.post("tokens", {"name": "ci", "read_only": True}).json()
    assert reader["read_only"] is True
    body = assert_problem(
        Client().post(
            "/api/v1/contacts",
            {"emails": ["a@b.example"]},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {reader['secret']}",
        ),
        403,
    )
    assert "read-only" in body["detail"]
    assert client.post("contacts", {"emails": ["a@b.example"]}).status_code == 201
    user_update(user=agent, actor=None, role=Role.VIEWER)
    body = assert_problem(client.post("contacts", {"emails": ["c@d.example"]}), 403)
    assert "read-only" in body["detail"]
    assert client.get("users/me").status_code == 200
