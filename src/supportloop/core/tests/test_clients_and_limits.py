"""The client address behind trusted proxies, and the shared rate counters (core/clients.py, core/ratelimit.py)."""

from __future__ import annotations

import time

import pytest
from django.test import RequestFactory

from supportloop.core import ratelimit
from supportloop.core.clients import address_bucket, client_address
from supportloop.core.models import RateCounter


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_peer_is_the_client_and_the_header_is_ignored(settings):
    settings.SUPPORTLOOP_TRUSTED_PROXIES = []
    assert client_address(_request("198.51.100.4", "203.0.113.9")) == "198.51.100.4"


@pytest.mark.parametrize(
    "remote, forwarded, client",
    [
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),  # one proxy
        ("10.0.0.5", "203.0.113.9, 10.0.0.7", "203.0.113.9"),  # two of ours
        ("10.0.0.5", "1.1.1.1, 203.0.113.9", "203.0.113.9"),  # the client forged a hop on the left: ignored
        ("10.0.0.5", "not-an-ip, 10.0.0.7", "10.0.0.7"),  # garbage where the client should be: nearest proxy
        ("10.0.0.5", "10.0.0.9", "10.0.0.9"),  # every hop trusted: the leftmost
        ("10.0.0.5", "", "10.0.0.5"),  # no header
        ("10.0.0.5", "[2001:db8::1]:4711, 10.0.0.7", "2001:db8::1"),
        ("10.0.0.5", "203.0.113.9:51000", "203.0.113.9"),
        ("198.51.100.4", "203.0.113.9", "198.51.100.4"),  # an untrusted peer cannot claim an address
        ("::ffff:198.51.100.4", None, "198.51.100.4"),
        ("", None, "unknown"),
    ],
)
def test_x_forwarded_for_is_walked_from_the_right_past_trusted_proxies(settings, remote, forwarded, client):
    settings.SUPPORTLOOP_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request(remote, forwarded)) == client


def test_ipv6_clients_are_counted_per_64_network():
    assert address_bucket("2001:db8:1:2:aaaa::1") == address_bucket("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_bucket("203.0.113.9") == "203.0.113.9"


@pytest.mark.parametrize("store", ["database", "cache"])
def test_a_counter_allows_exactly_the_limit_per_window_then_opens_a_new_one(db, settings, store, monkeypatch):
    settings.SUPPORTLOOP_RATE_LIMIT_STORE = store
    hits = [ratelimit.hit("t:k", limit=3, window=60) for _ in range(5)]
    assert [h.count for h in hits] == [1, 2, 3, 4, 5]
    assert [h.allowed for h in hits] == [True, True, True, False, False]
    assert 55 <= hits[-1].retry_after <= 60
    assert ratelimit.peek("t:k", limit=3).count == 5
    assert ratelimit.hit("t:other", limit=3, window=60).count == 1  # keys are separate
    ratelimit.undo("t:k")
    assert ratelimit.peek("t:k", limit=3).count == 4
    ratelimit.clear("t:k")
    assert ratelimit.peek("t:k", limit=3).count == 0
    if store == "database":
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + 61)  # the window has closed
        assert ratelimit.hit("t:other", limit=3, window=60).count == 1
        assert not RateCounter.objects.filter(key="t:k").exists()


def test_rates_parse_and_refuse_nonsense():
    assert ratelimit.Rate.parse("10/m") == ratelimit.Rate(10, 60)
    assert ratelimit.Rate.parse("5/15m") == ratelimit.Rate(5, 900)
    with pytest.raises(ValueError):
        ratelimit.Rate.parse("ten per minute")


def _supportloop(*args: str, **env: str):
    import os
    import subprocess
    import sys

    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUPPORTLOOP_", "DJANGO_"))
        and k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"}
    }
    return subprocess.run(
        [sys.executable, "-m", "supportloop", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **clean,
            "DATABASE_URL": "sqlite:///:memory:",
            "SECRET_KEY": "k" * 60,
            "ALLOWED_HOSTS": "support.example",
            **env,
        },
    )


def test_a_trusted_proxy_that_is_not_an_address_stops_the_start_naming_the_setting():
    result = _supportloop("check", SUPPORTLOOP_TRUSTED_PROXIES="10.0.0.1,proxy.internal")
    assert result.returncode != 0 and "SUPPORTLOOP_TRUSTED_PROXIES: 'proxy.internal'" in result.stderr


def test_check_deploy_refuses_per_process_counters_and_warns_about_an_untrusted_proxy():
    local = _supportloop("check", "--deploy", SUPPORTLOOP_RATE_LIMIT_STORE="cache")
    assert local.returncode != 0 and "supportloop.E020" in local.stdout + local.stderr
    proxy = _supportloop("check", "--deploy", BEHIND_TLS_PROXY="1")
    assert "supportloop.W020" in proxy.stdout + proxy.stderr and "supportloop.E020" not in proxy.stdout + proxy.stderr
    trusted = _supportloop("check", "--deploy", BEHIND_TLS_PROXY="1", SUPPORTLOOP_TRUSTED_PROXIES="10.0.0.0/8")
    assert "supportloop.W020" not in trusted.stdout + trusted.stderr
