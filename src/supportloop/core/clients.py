"""The address of the client behind a request: the one function everything that needs it uses (sign-in
throttle, API rate limits, records of failed sign-ins). Nothing else reads REMOTE_ADDR or X-Forwarded-For.

X-Forwarded-For is believed only from the proxies named in SUPPORTLOOP_TRUSTED_PROXIES (addresses or CIDR
networks). Then the header is walked from the right, the hops our own proxies appended, skipping trusted hops;
the first untrusted hop is the client. Anything to the left of it was written by the client and may be forged.
Without trusted proxies the peer (REMOTE_ADDR) is the client and the header is ignored.
"""

from __future__ import annotations

import functools
import ipaddress
from ipaddress import IPv4Address, IPv6Address

from django.conf import settings

IPAddress = IPv4Address | IPv6Address
UNKNOWN = "unknown"


@functools.lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parse SUPPORTLOOP_TRUSTED_PROXIES; raises ValueError naming a bad entry (settings.py checks at start)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not an IP address or network") from exc
    return tuple(networks)


def parse_address(value: str) -> IPAddress | None:
    """An IP address from a header value or REMOTE_ADDR, tolerating "[v6]:port", "v4:port" and zone ids;
    IPv4-mapped IPv6 addresses become IPv4. None when it is not an address."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress) -> bool:
    return any(address in network for network in trusted_networks(tuple(settings.SUPPORTLOOP_TRUSTED_PROXIES)))


def client_address(request) -> str:
    """The client's IP address as text ("unknown" if the peer address is missing or malformed)."""
    cached = getattr(request, "_supportloop_client_address", None)
    if cached is not None:
        return cached
    peer = parse_address(request.META.get("REMOTE_ADDR", "") or "")
    client = peer
    if peer is not None and _trusted(peer):
        for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            address = parse_address(hop)
            if address is None:
                break  # a hop our proxy did not write: keep the nearest address we can vouch for
            client = address
            if not _trusted(address):
                break
    result = str(client) if client is not None else UNKNOWN
    request._supportloop_client_address = result
    return result


def address_bucket(address: str) -> str:
    """What a per-address limit counts by: the address itself, or its /64 for IPv6 (one host usually holds a
    whole /64, so counting single IPv6 addresses would let it rotate through billions)."""
    parsed = parse_address(address)
    if isinstance(parsed, IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed) if parsed is not None else UNKNOWN
