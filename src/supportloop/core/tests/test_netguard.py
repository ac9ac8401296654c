"""core.netguard: which hosts an admin-typed address may reach, and connecting only where the check allowed."""

from __future__ import annotations

import socket

import pytest

from supportloop.core import netguard
from supportloop.core.netguard import HostRefused, checked_connection, host_check

LOOPBACK = [
    "127.0.0.1",
    "0x7f000001",
    "2130706433",
    "127.1",
    "0177.0.0.1",
    "localhost",
    "[::1]",
    "::1",
    "[::ffff:127.0.0.1]",
    "::ffff:7f00:1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::1",
    " 127.0.0.1 ",
]
PRIVATE = ["10.0.0.5", "172.16.3.4", "192.168.1.1", "100.64.0.1", "fd12:3456::1", "[::ffff:10.1.2.3]"]
NEVER = {
    "169.254.169.254": "metadata",
    "[::ffff:169.254.169.254]": "metadata",
    "fd00:ec2::254": "metadata",
    "100.100.100.200": "metadata",
    "169.254.10.10": "link-local",
    "fe80::1": "link-local",
    "0.0.0.0": "unspecified",
    "0": "unspecified",
    "::": "unspecified",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "255.255.255.255": "reserved",
    "240.0.0.1": "reserved",
    "192.0.2.10": "reserved",
    "198.18.0.1": "reserved",
    "2001:db8::1": "reserved",
    "::127.0.0.1": "reserved",
}


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_in_any_spelling_is_refused_by_default(host, settings):
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(HostRefused) as refused:
        host_check(host)
    assert refused.value.category == "loopback" and "SUPPORTLOOP_ALLOW_PRIVATE_HOSTS" in refused.value.message


@pytest.mark.parametrize("host", LOOPBACK + PRIVATE)
def test_private_and_loopback_are_allowed_by_the_admin_setting(host, settings):
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = True
    assert host_check(host).addresses


@pytest.mark.parametrize("host", PRIVATE)
def test_private_addresses_are_refused_by_default(host):
    with pytest.raises(HostRefused) as refused:
        host_check(host, allow_private=False)
    assert refused.value.category == "private"


@pytest.mark.parametrize("host,category", NEVER.items())
def test_metadata_link_local_multicast_unspecified_and_reserved_are_never_allowed(host, category):
    with pytest.raises(HostRefused) as refused:
        host_check(host, allow_private=True)
    assert refused.value.category == category and "never allowed" in refused.value.message


@pytest.mark.parametrize(
    "host",
    [
        "metadata.google.internal",
        "METADATA.google.internal.",
        "metadata.goog",
        "metadata.azure.com",
        "instance-data.ec2.internal",
    ],
)
def test_metadata_names_are_refused_without_asking_dns(host, fake_dns):
    with pytest.raises(HostRefused) as refused:
        host_check(host, allow_private=True)
    assert refused.value.category == "metadata" and fake_dns.calls == []


def test_every_address_of_a_name_counts(fake_dns):
    fake_dns.table["mixed.example.test"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "10.1.1.1"]
    with pytest.raises(HostRefused) as refused:
        host_check("mixed.example.test", allow_private=False)
    assert refused.value.address == "10.1.1.1"
    fake_dns.table["v6.example.test"] = ["93.184.215.14", "fe80::1%eth0"]
    with pytest.raises(HostRefused, match="link-local"):
        host_check("v6.example.test", allow_private=True)


def test_a_public_host_passes_with_all_its_addresses(fake_dns):
    fake_dns.table["imap.example.test"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    checked = host_check("IMAP.example.test.", allow_private=False)
    assert checked.host == "imap.example.test"
    assert [str(a) for a in checked.addresses] == ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(HostRefused) as refused:
        host_check("no-such-host.invalid")
    assert refused.value.category == "unresolvable"
    with pytest.raises(HostRefused, match="No host"):
        host_check("  ")


def test_loopback_only_refuses_everything_but_loopback(fake_dns):
    assert host_check("localhost", allow_private=True, loopback_only=True)
    with pytest.raises(HostRefused) as refused:
        host_check("10.0.0.5", allow_private=True, loopback_only=True)
    assert refused.value.category == "not-loopback"
    fake_dns.table["imap.example.test"] = ["93.184.215.14"]
    with pytest.raises(HostRefused, match="not a loopback"):
        host_check("imap.example.test", loopback_only=True)


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    yield server
    server.close()


def test_the_connection_goes_to_the_address_that_was_checked(fake_dns, listener):
    """DNS rebinding: a second lookup would say 10.0.0.1; the connection uses the first, checked, answer."""
    port = listener.getsockname()[1]
    fake_dns.table["rebind.example.test"] = [["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]]
    sock = checked_connection("rebind.example.test", port, timeout=5, allow_private=True)
    try:
        assert sock.getpeername() == ("127.0.0.1", port) and fake_dns.calls == ["rebind.example.test"]
    finally:
        sock.close()


def test_a_refused_answer_opens_no_connection(fake_dns, listener, monkeypatch):
    opened = []
    monkeypatch.setattr(netguard.socket, "create_connection", lambda *a, **kw: opened.append(a))
    fake_dns.table["rebind.example.test"] = ["127.0.0.1"]
    with pytest.raises(HostRefused, match="loopback"):
        checked_connection("rebind.example.test", listener.getsockname()[1], timeout=5, allow_private=False)
    assert opened == []
