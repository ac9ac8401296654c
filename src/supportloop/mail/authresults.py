"""What our receiving server said about a message's sender: the Authentication-Results header (RFC 8601).

Only the topmost Authentication-Results header counts, and only when its authserv-id is one of ours
(SUPPORTLOOP_AUTHSERV_ID): that is the one our own MTA (or the inbound provider) added on receipt. Any
header further down, or from another host, may have been written by the sender and is ignored. The header
is parsed with `authres` (a maintained RFC 8601 parser); this module only turns its results into a verdict:

- "pass": the From domain authenticated: DMARC pass for it, or a DKIM signature or SPF pass aligned with it
  (same domain or a subdomain either way), and no DMARC fail;
- "fail": DMARC fail, or SPF fail/softfail or DKIM fail with nothing aligned passing;
- "none": our server checked and nothing decided either way (no SPF record, no signature, temperror);
- "": no header of ours (the setting is empty, or our MTA did not add one): unknown.

No database work here; the parser calls it once per message, and only when the first header is ours
(authres costs about half a millisecond a header, so foreign and absent headers are never parsed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import authres

PASS, FAIL, NONE, UNKNOWN = "pass", "fail", "none", ""
_FAILED = {"fail", "softfail"}
_AUTHSERV = re.compile(r"\s*(?:\([^()]*\)\s*)*([^\s;()]+)")


@dataclass(frozen=True)
class AuthVerdict:
    verdict: str = UNKNOWN  # "pass", "fail", "none" or "" (see the module docstring)
    summary: str = ""  # e.g. "mx.example.com: spf=fail dkim=none dmarc=fail", for the ledger

    @property
    def domain_authenticated(self) -> bool:
        return self.verdict == PASS


def _aligned(domain: str, from_domain: str) -> bool:
    domain = domain.strip().lower().lstrip("@").rstrip(".")
    if "@" in domain:
        domain = domain.rpartition("@")[2]
    return bool(domain and from_domain) and (
        domain == from_domain or from_domain.endswith("." + domain) or domain.endswith("." + from_domain)
    )


def _property(result, name: str) -> str:
    for prop in getattr(result, "properties", None) or []:
        if prop.name == name:
            return str(prop.value or "")
    return ""


def authserv_id(value: str) -> str:
    """The authserv-id of a header value, without parsing the rest."""
    match = _AUTHSERV.match(value)
    return match.group(1).lower() if match else ""


def auth_verdict(values: list[str], *, from_domain: str, trusted: Iterable[str]) -> AuthVerdict:
    """The verdict of the topmost Authentication-Results header (`values` in message order, unfolded or not)
    if its authserv-id is trusted; AuthVerdict() otherwise."""
    trusted_ids = {t.strip().lower() for t in trusted if t and t.strip()}
    if not values or not trusted_ids:
        return AuthVerdict()
    value = " ".join(values[0].split())
    server = authserv_id(value)
    if server not in trusted_ids:
        return AuthVerdict()
    try:
        header = authres.parse_value(value)
    except Exception:  # noqa: BLE001 - a header our own server wrote but we cannot read: no verdict
        return AuthVerdict(NONE, f"{server}: unreadable Authentication-Results")
    from_domain = from_domain.lower()
    seen: dict[str, list[str]] = {}
    dmarc_pass = dmarc_fail = aligned_pass = other_fail = False
    for result in header.results:
        method, outcome = str(result.method).lower(), str(result.result).lower()
        seen.setdefault(method, []).append(outcome)
        if method == "dmarc":
            target = _property(result, "from") or from_domain
            if _aligned(target, from_domain):
                dmarc_pass |= outcome == "pass"
                dmarc_fail |= outcome == "fail"
        elif method == "dkim":
            signer = _property(result, "d") or _property(result, "i")
            aligned_pass |= outcome == "pass" and _aligned(signer, from_domain)
            other_fail |= outcome == "fail"
        elif method == "spf":
            envelope = _property(result, "mailfrom") or _property(result, "helo")
            aligned_pass |= outcome == "pass" and _aligned(envelope, from_domain)
            other_fail |= outcome in _FAILED
    summary = f"{server}: " + " ".join(f"{m}={','.join(r)}" for m, r in seen.items() if m in ("spf", "dkim", "dmarc"))
    if dmarc_fail:
        verdict = FAIL
    elif dmarc_pass or aligned_pass:
        verdict = PASS
    elif other_fail:
        verdict = FAIL
    else:
        verdict = NONE
    return AuthVerdict(verdict, summary.strip()[:200])
