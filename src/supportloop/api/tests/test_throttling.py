from conftest import assert_problem

from supportloop.accounts.choices import Role


def test_the_rate_limit_is_per_user_and_answers_429_with_retry_after(api_client, settings):
    settings.SUPPORTLOOP_API_RATE = "3/m"
    alice, bob = api_client(role=Role.AGENT), api_client(role=Role.AGENT)
    assert [alice.get("tickets").status_code for _ in range(3)] == [200, 200, 200]
    body = assert_problem(alice.get("tickets"), 429)
    assert "slow down" in body["detail"]
    assert 1 <= int(alice.get("tickets")["Retry-After"]) <= 60
    assert bob.get("tickets").status_code == 200  # another user has a bucket of their own


def test_no_rate_means_no_limit(api_client, settings):
    settings.SUPPORTLOOP_API_RATE = ""
    client = api_client(role=Role.AGENT)
    assert {client.get("users/me").status_code for _ in range(30)} == {200}


def test_wrong_tokens_are_limited_per_client_address_behind_a_trusted_proxy(api_client, settings):
    from django.test import Client

    from supportloop.accounts.models import SignInFailure

    settings.SUPPORTLOOP_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SUPPORTLOOP_API_BAD_TOKEN_RATE = "3/m"
    good = api_client(role="agent")
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.1")
    answers = [
        attacker.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer slp_guess{n}").status_code for n in range(5)
    ]
    assert answers == [401, 401, 401, 429, 429]
    # The attacker's address is shut for every bearer token, a right one included; other clients are not.
    assert_problem(attacker.get("/api/v1/users/me", **good.headers), 429)
    assert 1 <= int(attacker.get("/api/v1/users/me", **good.headers)["Retry-After"]) <= 60
    colleague = Client(HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert colleague.get("/api/v1/users/me", **good.headers).json()["id"] == good.user.pk
    rows = list(SignInFailure.objects.order_by("id").values_list("channel", "outcome", "address"))
    assert rows == [("api", "failed", "203.0.113.1")] * 3 + [("api", "locked_out", "203.0.113.1")]


def test_without_trusted_proxies_a_forwarded_header_changes_nothing(api_client, settings):
    from django.test import Client

    settings.SUPPORTLOOP_API_BAD_TOKEN_RATE = "2/m"
    for n in range(3):
        Client(HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").get("/api/v1/users/me", HTTP_AUTHORIZATION="Bearer slp_x")
    assert_problem(
        Client(HTTP_X_FORWARDED_FOR="203.0.113.99").get("/api/v1/users/me", HTTP_AUTHORIZATION="Bearer slp_y"), 429
    )


def test_public_operations_are_limited_per_client_address(settings, db):
    from django.test import Client

    settings.SUPPORTLOOP_API_RATE = "2/m"
    settings.SUPPORTLOOP_TRUSTED_PROXIES = ["127.0.0.1"]
    first = Client(HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert [first.get("/api/v1/feedback/public/roadmap").status_code for _ in range(3)] == [200, 200, 429]
    assert Client(HTTP_X_FORWARDED_FOR="203.0.113.2").get("/api/v1/feedback/public/roadmap").status_code == 200


def test_a_locked_address_is_refused_with_a_right_token_even_without_an_account_rate(api_client, settings):
    from django.test import Client

    settings.SUPPORTLOOP_API_RATE = ""
    settings.SUPPORTLOOP_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SUPPORTLOOP_API_BAD_TOKEN_RATE = "2/m"
    good = api_client(role=Role.AGENT)
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.7")
    for n in range(3):
        attacker.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer slp_guess{n}")
    assert_problem(attacker.get("/api/v1/users/me", **good.headers), 429)
    assert Client(HTTP_X_FORWARDED_FOR="203.0.113.8").get("/api/v1/users/me", **good.headers).status_code == 200


def test_a_right_token_pays_one_rate_limit_statement_for_its_count_and_its_address(api_client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SUPPORTLOOP_API_RATE = "100/m"
    settings.SUPPORTLOOP_API_BAD_TOKEN_RATE = "10/m"
    client = api_client(role=Role.AGENT)
    client.get("users/me")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("users/me").status_code == 200
    rate_statements = [q["sql"] for q in queries if "core_ratecounter" in q["sql"]]
    assert len(rate_statements) == 1
    assert "api:account:" in rate_statements[0] and "api:bad-token:" in rate_statements[0]
