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
(authres costs about a millisecond a header, so foreign and absent headers are never parsed, and the plain
shape MTAs write is read by a small tokenizer first; see _fast_results).
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


# (method, result, {property name: value}) of each result in a header, e.g. ("dkim", "pass", {"d": "example.com"}).
Results = list[tuple[str, str, dict[str, str]]]

_COMMENT = re.compile(r"\([^()\\\"]*\)")
_RESINFO_HEAD = re.compile(r"([A-Za-z0-9_-]+)(?:/[0-9]+)?=([A-Za-z0-9_-]+)$")
_PROPERTY = re.compile(r"([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+))?=([^\s=;]*)$")


def _fast_results(value: str) -> Results | None:
    """The results of the plain shape every MTA we know writes (`method=result`, then `ptype.property=value`
    and `reason=value` tokens, comments anywhere), without authres' general parser, which costs about a
    millisecond a header (more than the rest of a message's ingest). None for anything else (quoted strings,
    spaces around "=", odd tokens): authres reads those. A test checks that both agree."""
    if '"' in value or "\\" in value:
        return None
    while "(" in value:  # innermost comments first; a nested one takes several passes
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            return None  # unbalanced parentheses
        value = stripped
    if ")" in value:
        return None
    parts = value.split(";")
    out: Results = []
    for part in parts[1:]:
        tokens = part.split()
        if not tokens:
            continue
        if tokens == ["none"] and len(parts) == 2:
            return []
        head = _RESINFO_HEAD.match(tokens[0])
        if head is None:
            return None
        props: dict[str, str] = {}
        for token in tokens[1:]:
            prop = _PROPERTY.match(token)
            if prop is None:
                return None
            if prop.group(2) is not None:  # ptype.property=value; "reason=" carries no property
                props.setdefault(prop.group(2).lower(), prop.group(3))
            elif prop.group(1).lower() != "reason":
                return None
        out.append((head.group(1).lower(), head.group(2).lower(), props))
    return out


def _authres_results(value: str) -> Results | None:
    try:
        header = authres.parse_value(value)
    except Exception:  # noqa: BLE001 - unreadable: the caller says so
        return None
    out: Results = []
    for result in header.results:
        props: dict[str, str] = {}
        for prop in getattr(result, "properties", None) or []:
            props.setdefault(str(prop.name).lower(), str(prop.value or ""))
        out.append((str(result.method).lower(), str(result.result).lower(), props))
    return out


def results_of(value: str) -> Results | None:
    """The results of one Authentication-Results header value (unfolded), or None when it cannot be read."""
    fast = _fast_results(value)
    return fast if fast is not None else _authres_results(value)


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
    results = results_of(value)
    if results is None:  # a header our own server wrote but nobody can read: no verdict
        return AuthVerdict(NONE, f"{server}: unreadable Authentication-Results")
    from_domain = from_domain.lower()
    seen: dict[str, list[str]] = {}
    dmarc_pass = dmarc_fail = aligned_pass = other_fail = False
    for method, outcome, props in results:
        seen.setdefault(method, []).append(outcome)
        if method == "dmarc":
            target = props.get("from") or from_domain
            if _aligned(target, from_domain):
                dmarc_pass |= outcome == "pass"
                dmarc_fail |= outcome == "fail"
        elif method == "dkim":
            signer = props.get("d") or props.get("i")
            aligned_pass |= outcome == "pass" and _aligned(signer or "", from_domain)
            other_fail |= outcome == "fail"
        elif method == "spf":
            envelope = props.get("mailfrom") or props.get("helo")
            aligned_pass |= outcome == "pass" and _aligned(envelope or "", from_domain)
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
