"""raw_mail(): the bytes of one RFC 822 message, as a mail server hands them to the ingest."""

from __future__ import annotations


def raw_mail(
    mid: str | None = "m1@acme.test",
    *,
    frm: str = "anna@acme.test",
    to: str = "support@example.test",
    cc: str = "",
    subject: str = "Hello",
    body: str | bytes = "Body",
    extra: str = "",
    in_reply_to: str = "",
    date: str = "",
    ctype: str | None = "text/plain; charset=utf-8",
) -> bytes:
    """One message with CRLF line ends, UTF-8 headers and body.

    `mid`: the Message-ID without brackets (None: no Message-ID header). `extra`: more header lines, each
    ending in CRLF, put first, where a receiving server adds its trace headers (Received,
    Authentication-Results); header order does not matter to the ingest otherwise. `in_reply_to`: an id the
    message answers (In-Reply-To and References). `ctype`: the Content-Type (with MIME-Version), None for
    none. `body`: text, or bytes taken as they are (to test charsets and sizes)."""
    lines = [f"From: {frm}", f"To: {to}"]
    if cc:
        lines.append(f"Cc: {cc}")
    lines.append(f"Subject: {subject}")
    if mid is not None:
        lines.append(f"Message-ID: <{mid}>")
    if in_reply_to:
        lines += [f"In-Reply-To: <{in_reply_to}>", f"References: <{in_reply_to}>"]
    if date:
        lines.append(f"Date: {date}")
    if ctype is not None:
        lines += ["MIME-Version: 1.0", f"Content-Type: {ctype}"]
    head = (extra + "\r\n".join(lines) + "\r\n\r\n").encode()
    return head + (body if isinstance(body, bytes) else body.encode()) + b"\r\n"
