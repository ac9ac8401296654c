"""The outbound HTTP of webhooks and chat integrations: which URLs may be called, and one POST to one of them.

A webhook URL is typed by an admin and called by the server, so it is a way into the server's own network (the
cloud metadata service, the database, an internal admin panel). `webhook_url_check` refuses:

- any scheme but https (http only with SUPPORTLOOP_WEBHOOK_ALLOW_HTTP);
- a host any of whose resolved addresses (IPv4 and IPv6, every one) is private, loopback, link-local,
  multicast, reserved or a metadata service (core.netguard), unless the host is named in
  SUPPORTLOOP_WEBHOOK_ALLOWED_HOSTS; even then metadata, link-local, multicast and reserved addresses are refused.

`webhook_post` checks again at delivery time and connects to an address that this same check passed (the URL's
host is replaced by the checked address; Host header and TLS SNI/certificate check keep the name), so a DNS
answer that changes after the admin saved the URL (DNS rebinding) never reaches a refused address. It follows no
redirects (a 3xx is a failed attempt), ignores proxy environment variables, has short timeouts, and reads at most
MAX_RESPONSE_BYTES of the response.

This module does no database work; automation/services/webhooks.py records what happened.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from supportloop.core.netguard import HostRefused, IPAddress, host_check, host_normalize

MAX_RESPONSE_BYTES = 4096  # kept for the delivery log: enough for an error message, never a large body
USER_AGENT = "supportloop-webhooks/1"


class UrlRefused(Exception):
    """The URL may not be called; the message says why, for the admin."""


@dataclass(frozen=True)
class CheckedUrl:
    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def _allowed_hosts() -> set[str]:
    return {host_normalize(h) for h in getattr(settings, "SUPPORTLOOP_WEBHOOK_ALLOWED_HOSTS", []) if h.strip()}


def webhook_url_check(url: str) -> CheckedUrl:
    """Resolve the URL's host and return where it may be called; UrlRefused (with the reason) otherwise."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"Not a valid URL ({exc}).") from None
    scheme = parts.scheme.lower()
    allow_http = getattr(settings, "SUPPORTLOOP_WEBHOOK_ALLOW_HTTP", False)
    if scheme not in ("https", "http"):
        raise UrlRefused("The URL must start with https://.")
    if scheme == "http" and not allow_http:
        raise UrlRefused(
            "The URL must use https; plain http is allowed only when SUPPORTLOOP_WEBHOOK_ALLOW_HTTP is on."
        )
    if not parts.hostname:
        raise UrlRefused("The URL has no host.")
    host = host_normalize(parts.hostname)
    port = port or (443 if scheme == "https" else 80)
    allow_private = host in _allowed_hosts()
    try:
        checked = host_check(host, port=port, allow_private=allow_private)
    except HostRefused as exc:
        message = exc.message
        if exc.category in ("private", "loopback"):
            message = (
                f"{exc.host} resolves to {exc.address}, a {exc.category} address; webhooks to private and loopback "
                f"addresses are refused unless the host is listed in SUPPORTLOOP_WEBHOOK_ALLOWED_HOSTS."
            )
        raise UrlRefused(message) from None
    return CheckedUrl(url=text, scheme=scheme, host=host, port=port, addresses=checked.addresses)


@dataclass(frozen=True)
class PostResult:
    status_code: int | None  # None when no response came (refused URL, connection error, timeout)
    body: str  # the first MAX_RESPONSE_BYTES of the response, decoded leniently
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _elapsed_ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


def webhook_post(url: str, *, body: bytes, headers: dict[str, str]) -> PostResult:
    """POST `body` to `url` once, after checking the URL again; never raises for network trouble."""
    start = time.monotonic()
    try:
        target = webhook_url_check(url)
    except UrlRefused as exc:
        return PostResult(None, "", f"Refused: {exc}", _elapsed_ms(start))
    timeout_seconds = float(getattr(settings, "SUPPORTLOOP_WEBHOOK_TIMEOUT_SECONDS", 10))
    timeout = httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds))
    original = httpx.URL(target.url)
    request_headers = {
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        **headers,
        "Host": original.netloc.decode("ascii"),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    error = ""
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for address in target.addresses:
            pinned = original.copy_with(host=str(address))
            try:
                with client.stream(
                    "POST", pinned, content=body, headers=request_headers, extensions=extensions
                ) as response:
                    received = bytearray()
                    for chunk in response.iter_bytes():
                        received += chunk
                        if len(received) >= MAX_RESPONSE_BYTES or time.monotonic() - start > 2 * timeout_seconds:
                            break
                    text = bytes(received[:MAX_RESPONSE_BYTES]).decode("utf-8", "replace")
                    return PostResult(response.status_code, text, "", _elapsed_ms(start))
            except httpx.ConnectError as exc:
                error = f"Could not connect to {address}: {exc}"
                continue  # the next checked address, as socket.create_connection would
            except httpx.TimeoutException as exc:
                return PostResult(None, "", f"Timed out: {type(exc).__name__}", _elapsed_ms(start))
            except httpx.HTTPError as exc:
                return PostResult(None, "", f"{type(exc).__name__}: {exc}", _elapsed_ms(start))
    return PostResult(None, "", error or "No address to connect to.", _elapsed_ms(start))
