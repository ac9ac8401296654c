"""Outbound connections to hosts that someone typed in (IMAP servers; later, webhook targets).

An admin form that takes a host name is a way into the network the server sits in: the cloud's metadata
service (credentials), the database, a local mail relay. `host_check` resolves a host the way the connection
will (getaddrinfo: every IPv4 and IPv6 address, numeric forms such as 0x7f000001, 2130706433 or 127.1
included) and refuses it when any address is

- always: a metadata service (by name or address), unspecified, link-local, multicast, or reserved
  (documentation, benchmarking, "this network", class E, IETF-assigned, IPv4-compatible IPv6);
- unless SUPPORTLOOP_ALLOW_PRIVATE_HOSTS is on: private (RFC 1918, carrier-grade NAT, IPv6 unique-local)
  or loopback.

IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by
that IPv4 address. `checked_connection` resolves, checks and connects to one of the checked addresses in
one step, so a DNS answer that changes between a check and a connect (DNS rebinding) never reaches a
refused address. Checking on save gives the user an early, clear error; checking on connect is the guard.

This module knows nothing of mailboxes or forms; callers name the field in their own error.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names of instance metadata services (the addresses below are refused too; a name may resolve elsewhere).
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.com",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.platformequinix.com",
    }
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud (inside carrier-grade NAT space, which is only "private")
        "fd00:ec2::254",  # AWS IMDS over IPv6 (inside unique-local space, which is only "private")
    )
)

ALWAYS_REFUSED = frozenset({"metadata", "unspecified", "link-local", "multicast", "reserved"})
PRIVATE = frozenset({"private", "loopback"})

_NETWORKS: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = [
    (category, ipaddress.ip_network(net))
    for category, net in (
        ("unspecified", "0.0.0.0/8"),
        ("loopback", "127.0.0.0/8"),
        ("link-local", "169.254.0.0/16"),
        ("private", "10.0.0.0/8"),
        ("private", "172.16.0.0/12"),
        ("private", "192.168.0.0/16"),
        ("private", "100.64.0.0/10"),  # carrier-grade NAT (shared address space)
        ("multicast", "224.0.0.0/4"),
        ("reserved", "240.0.0.0/4"),  # includes 255.255.255.255
        ("reserved", "192.0.0.0/24"),
        ("reserved", "192.0.2.0/24"),
        ("reserved", "192.88.99.0/24"),
        ("reserved", "198.18.0.0/15"),
        ("reserved", "198.51.100.0/24"),
        ("reserved", "203.0.113.0/24"),
        ("unspecified", "::/128"),
        ("loopback", "::1/128"),
        ("link-local", "fe80::/10"),
        ("private", "fc00::/7"),  # unique local
        ("private", "fec0::/10"),  # site-local (deprecated)
        ("multicast", "ff00::/8"),
    )
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class HostRefused(Exception):
    """The host may not be connected to. `category` says why (e.g. "loopback", "metadata", "unresolvable")."""

    def __init__(self, message: str, *, host: str, category: str, address: str = ""):
        super().__init__(message)
        self.message = message
        self.host = host
        self.category = category
        self.address = address


@dataclass(frozen=True)
class CheckedHost:
    host: str
    addresses: tuple[IPAddress, ...]


def host_normalize(host: str) -> str:
    """The form a connection uses: stripped, no [brackets] around an IPv6 literal, lower case, no final dot."""
    host = (host or "").strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".").lower()


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def address_category(ip: IPAddress) -> str:
    """One of: metadata, unspecified, loopback, link-local, private, multicast, reserved, public."""
    if ip in METADATA_ADDRESSES:
        return "metadata"
    for category, network in _NETWORKS:
        if ip.version == network.version and ip in network:
            return category
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return address_category(embedded)
    return "public" if ip.is_global and not ip.is_reserved else "reserved"


def resolve(host: str, port: int) -> list[str]:
    """Every address getaddrinfo gives for the host, in its order (what socket.create_connection would try)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))  # the address (a str for IPv4 and IPv6)


def _refusal(host: str, address: str, category: str) -> str:
    if category in PRIVATE:
        return (
            f"{host} resolves to {address}, a {category} address; private and loopback addresses are "
            f"refused unless SUPPORTLOOP_ALLOW_PRIVATE_HOSTS is on."
        )
    return f"{host} resolves to {address}, a {category} address, which is never allowed."


def host_check(
    host: str, *, port: int = 0, allow_private: bool | None = None, loopback_only: bool = False
) -> CheckedHost:
    """Resolve `host` and return its addresses if every one may be connected to; else raise HostRefused.

    `allow_private` defaults to settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS. `loopback_only` demands that every
    address be loopback (for connections without TLS).
    """
    if allow_private is None:
        allow_private = getattr(settings, "SUPPORTLOOP_ALLOW_PRIVATE_HOSTS", False)
    name = host_normalize(host)
    if not name:
        raise HostRefused("No host given.", host=host, category="empty")
    if name in METADATA_NAMES:
        raise HostRefused(
            f"{name} is a cloud metadata service, which is never allowed.", host=name, category="metadata"
        )
    try:
        found = resolve(name, port)
    except (OSError, UnicodeError) as exc:
        raise HostRefused(f"{name} could not be resolved ({exc}).", host=name, category="unresolvable") from exc
    addresses = _addresses(found)
    if not addresses:
        raise HostRefused(f"{name} has no address.", host=name, category="unresolvable")
    for ip in addresses:
        category = address_category(ip)
        if category in ALWAYS_REFUSED or (category in PRIVATE and not allow_private):
            raise HostRefused(_refusal(name, str(ip), category), host=name, category=category, address=str(ip))
        if loopback_only and category != "loopback":
            raise HostRefused(
                f"{name} resolves to {ip}, which is not a loopback address; an unencrypted "
                f"connection is allowed only to this machine.",
                host=name,
                category="not-loopback",
                address=str(ip),
            )
    return CheckedHost(host=name, addresses=tuple(addresses))


def _addresses(found: Iterable[str]) -> list[IPAddress]:
    # "fe80::1%eth0": the zone is no part of the address
    return [ipaddress.ip_address(text.split("%", 1)[0]) for text in found]


def checked_connection(
    host: str,
    port: int,
    *,
    timeout: float | None = None,
    allow_private: bool | None = None,
    loopback_only: bool = False,
) -> socket.socket:
    """A TCP connection to `host`, made to an address that `host_check` passed in this same call (so no later
    DNS answer is used). Tries the addresses in order, like socket.create_connection."""
    checked = host_check(host, port=port, allow_private=allow_private, loopback_only=loopback_only)
    error: OSError | None = None
    for ip in checked.addresses:
        try:
            return socket.create_connection((str(ip), port), timeout=timeout)
        except OSError as exc:
            error = exc
    if error is None:  # host_check raises rather than return no address; this keeps -O from raising None
        raise OSError(f"{host}: no address to connect to")
    raise error
