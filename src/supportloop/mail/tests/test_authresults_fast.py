"""The small Authentication-Results tokenizer reads what authres reads, on real headers and generated ones;
anything it does not know it leaves to authres."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from supportloop.mail.authresults import _authres_results, _fast_results, auth_verdict, results_of

REAL = [
    # Postfix with OpenDKIM / OpenDMARC / policyd-spf
    "mx.example.com; dkim=pass (2048-bit key; unprotected) header.d=customer.test header.i=@customer.test "
    "header.s=s1 header.b=AbCdEf12; spf=pass (mx.example.com: domain of anna@customer.test designates 192.0.2.1 "
    "as permitted sender) smtp.mailfrom=anna@customer.test; dmarc=pass (p=NONE sp=NONE dis=NONE) "
    "header.from=customer.test",
    # Gmail
    "mx.google.com; dkim=pass header.i=@example.org header.s=20230601 header.b=Kx4mQ1Zv; "
    "spf=pass (google.com: domain of bob@example.org designates 209.85.220.41 as permitted sender) "
    "smtp.mailfrom=bob@example.org; dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.org",
    # Failing sender
    "mx.example.com; spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=attacker.test; dkim=none; "
    "dmarc=fail (p=REJECT) header.from=bank.test",
    # Nested comments and a version
    "mx.example.com 1; spf=softfail (a (nested) comment) smtp.mailfrom=x@y.test reason=policy",
    "mx.example.com; none",
    # Shapes left to authres: quoted strings, Microsoft's free tokens
    'mx.example.com; dkim=pass reason="good signature" header.d=example.com',
    "spf.protection.outlook.com; spf=pass (sender IP is 40.107.1.1) smtp.mailfrom=example.com; "
    "dkim=pass (signature was verified) header.d=example.com;dmarc=pass action=none header.from=example.com;"
    "compauth=pass reason=100",
]


def test_real_headers_read_the_same_as_authres():
    for value in REAL:
        fast = _fast_results(value)
        if fast is not None:
            assert fast == _authres_results(value), value
    # The common shapes take the fast path; quoted strings do not.
    assert _fast_results(REAL[0]) is not None and _fast_results(REAL[3]) is not None
    assert _fast_results(REAL[5]) is None


def test_a_header_the_tokenizer_leaves_alone_still_gives_its_verdict():
    verdict = auth_verdict([REAL[5]], from_domain="example.com", trusted=["mx.example.com"])
    assert verdict.verdict == "pass"
    assert results_of(REAL[5]) == _authres_results(REAL[5])


def test_a_pass_without_the_signing_domain_is_not_aligned():
    """dkim=pass without header.d/i and spf=pass without smtp.mailfrom/helo name no domain: not aligned, no
    verdict from them (they used to raise AttributeError on None, found by mypy)."""
    for header in ("mx.example; dkim=pass header.b=abc", "mx.example; spf=pass"):
        verdict = auth_verdict([header], from_domain="example.com", trusted=["mx.example"])
        assert verdict.verdict == "none", header


_NAME = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=10)
_DOMAIN = st.builds(lambda a, b: f"{a}.{b}", _NAME, st.sampled_from(["test", "example", "org"]))
_VALUE = st.one_of(
    _DOMAIN,
    st.builds(lambda u, d: f"{u}@{d}", _NAME, _DOMAIN),
    st.text(string.ascii_letters + string.digits + "+/", min_size=1, max_size=12),
)
_COMMENT = st.text(string.ascii_letters + string.digits + " .:;=@-", max_size=30).map(lambda t: f" ({t})")
_PROPERTY = st.builds(
    lambda p, n, v: f" {p}.{n}={v}",
    st.sampled_from(["header", "smtp", "policy", "body"]),
    st.sampled_from(["d", "i", "s", "b", "from", "mailfrom", "helo", "a"]),
    _VALUE,
)
_RESINFO = st.builds(
    lambda m, r, c, props, reason: f"{m}={r}{c}{''.join(props)}{reason}",
    st.sampled_from(["spf", "dkim", "dmarc", "arc", "iprev", "auth", "x-custom"]),
    st.sampled_from(["pass", "fail", "softfail", "none", "neutral", "temperror", "permerror", "policy"]),
    st.one_of(st.just(""), _COMMENT),
    st.lists(_PROPERTY, max_size=4),
    st.one_of(st.just(""), _NAME.map(lambda r: f" reason={r}")),
)


@settings(max_examples=300, deadline=None)
@given(
    server=_DOMAIN,
    version=st.sampled_from(["", " 1"]),
    infos=st.lists(_RESINFO, min_size=1, max_size=4),
    separator=st.sampled_from(["; ", ";", " ; "]),
)
def test_generated_headers_read_the_same_as_authres(server, version, infos, separator):
    value = f"{server}{version}; " + separator.join(infos)
    fast = _fast_results(value)
    assert fast is not None, value
    assert fast == _authres_results(value), value
