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
