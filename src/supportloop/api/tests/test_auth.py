from django.test import Client

from conftest import assert_problem
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
    r = client.post("/api/v1/contacts", {"emails": ["a@b.example"]}, content_type="application/json",
                    HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret))
    assert r.status_code == 201, r.content


def test_a_token_acts_as_its_user_with_that_users_role(api_client, make_user):
    viewer = make_user(Role.VIEWER)
    client = api_client(user=viewer)
    assert client.get("users/me").json()["username"] == viewer.username
    assert_problem(client.post("contacts", {"emails": ["a@b.example"]}), 403)
    body = assert_problem(Client().get("/api/v1/users/me", HTTP_AUTHORIZATION="Token nope"), 401)
    assert "Bearer" in body["detail"]
