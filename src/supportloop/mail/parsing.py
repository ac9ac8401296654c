"""Turn raw RFC 5322 bytes into a ParsedMail: decoded headers, text, HTML, attachments and safety flags.

Built on the standard library's `email` package, with policy.default's results (_ParsePolicy only caches
its header objects; see there and _unstructured for why). Real mail is often broken, so every step has a
fallback: an undecodable header falls back to its raw form, an unknown or implausible charset to detection
(charsets.py; the body is decoded first so that its detected charset can decide short 8-bit headers), a
broken part is skipped and noted. Only a message with no usable structure at all raises UnparseableMail,
which the ingest service turns into a quarantine row. This module does no database work.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import quopri
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime

from django.conf import settings

from supportloop.mail.authresults import auth_verdict
from supportloop.mail.bounces import bounce_hint
from supportloop.mail.charsets import codec_name, decode_bytes, decode_detecting
from supportloop.mail.machines import machine_kind, report_kind
from supportloop.tickets.filenames import clean_name
from supportloop.tickets.sanitize import html_to_text
from supportloop.tickets.services.tickets import IncomingFile

logger = logging.getLogger("supportloop.mail")

AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
# "local@domain" or "Plain Name <local@domain>" with nothing getaddresses() could read differently (no
# quotes, comments, encoded words or odd spacing): the common case, split without the address parser.
_SIMPLE_ADDRESS = re.compile(
    r"(?:([A-Za-z0-9]+(?: [A-Za-z0-9]+)*) <)?"
    r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?(1)>)"
)
_ID = re.compile(r"<([^<>\s]{1,490})>")
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9\-.\[\]:]+\.[A-Za-z0-9\-\]]+$|^[^@\s]+@\[[0-9.:a-fA-F]+\]$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


# MIME headers the parser and the part accessors (get_content_type, get_param, get_payload(decode=True), ...)
# read again and again; see _ParsePolicy.
_MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding"})
_MIME_HEADER_CACHE: dict[tuple[str, str], object] = {}
_MIME_HEADER_CACHE_SIZE = 256  # a cached Content-Type object is about 13 kB


class _ParsePolicy(EmailPolicy):
    """policy.default, except that a MIME header is parsed by the header registry once per distinct value.

    policy.default builds a new header object on every read, and one part's Content-Type is read about ten
    times (by the parser itself and by each accessor): that was most of parse_message's time. Header objects
    are immutable, so the one built for a (name, raw value) pair can be shared by every part and message
    that carries the same header; the values come from a small set in practice (charsets, dispositions,
    transfer encodings). Results are exactly policy.default's.
    """

    def header_fetch_parse(self, name, value):
        key = (name, value)
        header = _MIME_HEADER_CACHE.get(key)
        if header is None:
            header = super().header_fetch_parse(name, value)
            if name.lower() in _MIME_HEADERS:
                if len(_MIME_HEADER_CACHE) >= _MIME_HEADER_CACHE_SIZE:
                    _MIME_HEADER_CACHE.clear()  # bounded: multipart boundaries make some values unique
                _MIME_HEADER_CACHE[key] = header
        return header


_POLICY = _ParsePolicy()


class UnparseableMail(Exception):
    """The bytes are not a mail message we can use at all."""


@dataclass
class ParsedMail:
    message_id: str  # without angle brackets; "" when the message has none
    message_key: str  # message_id, or "sha256:<content_digest>"
    from_email: str
    from_name: str
    reply_to: list[str]
    to: list[str]
    cc: list[str]
    envelope_to: list[str]  # Delivered-To, X-Original-To, Envelope-To, X-Envelope-To
    subject: str
    date: datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str
    attachments: list[IncomingFile] = field(default_factory=list)
    oversize: list[tuple[str, int]] = field(default_factory=list)
    dropped_parts: int = 0  # MIME parts beyond SUPPORTLOOP_MAIL_MAX_PARTS (or too deep), not read
    automatic: str = ""  # why the mail is automatic: "", or e.g. "auto-submitted:auto-replied"
    is_bounce: bool = False
    is_auto_reply: bool = False
    is_bulk: bool = False
    suppress_autoresponse: bool = False  # X-Auto-Response-Suppress or similar: do not acknowledge
    language: str = ""
    loop_header: str = ""  # X-Loop value, compared with our addresses by the caller
    defects: list[str] = field(default_factory=list)
    is_machine_notice: bool = False  # a feedback report or a mail provider's notice: quarantined
    no_reopen: bool = False  # from a machine: may add a message, never reopens a ticket
    content_digest: str = ""  # sha256 of the parts a redelivery keeps (see _content_digest)
    auth_verdict: str = ""  # our receiving server's verdict on the sender (mail/authresults.py)
    auth_summary: str = ""

    @property
    def thread_ids(self) -> list[str]:
        """Ids this message answers, nearest first: In-Reply-To, then References from the newest."""
        seen: list[str] = []
        for ref in [*self.in_reply_to, *reversed(self.references)]:
            if ref not in seen:
                seen.append(ref)
        return seen


def clean_str(value: str, *, limit: int | None = None) -> str:
    """Text the database can store: no NUL, no lone surrogates."""
    if not value:
        return ""
    value = value.replace("\x00", "")
    if _has_surrogates(value):
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value[:limit] if limit else value


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unsurrogate(value: str, charsets: tuple[str, ...]) -> str:
    """8-bit bytes in a header arrive as surrogate escapes: decode them in the message's likely charset."""
    if not _has_surrogates(value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"), None, extra=charsets)


# Raw header values (as the parser stored them) by lower-case name, in message order; see _header_index.
Headers = dict[str, list[str]]


def _header_index(msg: Message) -> Headers:
    """All raw headers of a message, indexed once instead of scanning raw_items() for each header read."""
    index: Headers = {}
    for name, value in msg.raw_items():
        index.setdefault(name.lower(), []).append(str(value))
    return index


def _raw_header(headers: Headers, name: str) -> list[str]:
    return headers.get(name.lower(), [])


def _unstructured(name: str, raw: str) -> str:
    """str() of what policy.default returns for an unstructured header (Subject, Content-ID, ...).

    The header registry only changes such a value when it has encoded words or 8-bit bytes; otherwise the
    result is the raw value without its line breaks, so we skip building a header object (the costly part).
    """
    if "=?" in raw or _has_surrogates(raw):
        return str(policy.default.header_fetch_parse(name, raw))
    return raw.replace("\r", "").replace("\n", "")


def header_text(headers: Headers, name: str, charsets: tuple[str, ...] = ()) -> str:
    """A decoded unstructured header such as Subject (RFC 2047 words and 8-bit bytes), falling back step by step
    for broken ones."""
    raws = _raw_header(headers, name)
    if not raws:
        return ""
    raw = raws[0]
    if _has_surrogates(raw):
        # 8-bit bytes in a header: the policy would turn them into U+FFFD, so decode the bytes ourselves.
        value = _decode_words(_unsurrogate(raw, charsets), charsets)
        return re.sub(r"\s+", " ", value).strip()
    if "=?" in raw and _words_need_detection(raw):
        value = _decode_words(raw.replace("\r", "").replace("\n", ""), charsets)
        return re.sub(r"\s+", " ", value).strip()
    try:
        value = _unstructured(name, raw)
    except Exception:  # noqa: BLE001 - any header bug in the parser falls back to our own decoding
        try:
            value = str(make_header(decode_header(raw)))
        except Exception:  # noqa: BLE001
            value = raw
    value = _unsurrogate(value, charsets)
    if "=?" in value and "?=" in value:
        # Encoded words the policy left alone (e.g. inside quotes or with an unknown charset).
        value = _decode_words(value, charsets)
    return re.sub(r"\s+", " ", value).strip()


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def _word_bytes(enc: str, payload: str) -> bytes | None:
    try:
        if enc in "bB":
            return base64.b64decode(payload + "=" * (-len(payload) % 4))
        return quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=True)
    except Exception:  # noqa: BLE001
        return None


def _decode_words(value: str, charsets: tuple[str, ...]) -> str:
    """RFC 2047 encoded words decoded with decode_bytes (so unknown or wrong charsets are detected): adjacent
    words of one charset are joined before decoding (a character or a short header split over several words
    decodes whole) and the white space between adjacent words is dropped, as RFC 2047 section 6.2 says."""
    out: list[str] = []
    group: list[bytes] = []
    group_charset = ""
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        pos = match.end()
        charset = match.group(1).split("*")[0]
        data = _word_bytes(match.group(2), match.group(3))
        adjacent = bool(group) and not between.strip()
        if adjacent and data is not None and charset.lower() == group_charset.lower():
            group.append(data)
            continue
        if group:
            out.append(decode_bytes(b"".join(group), group_charset, extra=charsets))
            group = []
        if not adjacent:
            out.append(between)
        if data is None:
            out.append(match.group(0))
        else:
            group, group_charset = [data], charset
    if group:
        out.append(decode_bytes(b"".join(group), group_charset, extra=charsets))
    out.append(value[pos:])
    return "".join(out)


def _words_need_detection(raw: str) -> bool:
    """Encoded words in a charset other than UTF-8: the header registry would decode unknown ones to U+FFFD
    and trust a Latin-1 label on UTF-8 bytes, so decode_bytes decodes them instead."""
    return any(codec_name(m.group(1).split("*")[0]) != "utf-8" for m in _ENCODED_WORD.finditer(raw))


def normalize_address(value: str) -> str:
    value = (value or "").strip().strip("<>").strip().lower()
    return value if _EMAIL.match(value) and len(value) <= 254 else ""


def addresses(headers: Headers, name: str, charsets: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(display name, normalised address) pairs from every instance of an address header."""
    out: list[tuple[str, str]] = []
    for raw in _raw_header(headers, name):
        raw = _unsurrogate(raw, charsets)
        simple = _SIMPLE_ADDRESS.fullmatch(raw)
        try:
            pairs = [(simple.group(1) or "", simple.group(2))] if simple else getaddresses([raw])
        except Exception:  # noqa: BLE001
            pairs = []
        if not any(normalize_address(a) for _n, a in pairs):
            pairs = [("", m) for m in re.findall(r"[^\s<>,;:\"()]+@[^\s<>,;:\"()]+", raw)]
        for display, addr in pairs:
            email = normalize_address(addr)
            if email and email not in [e for _d, e in out]:
                try:
                    display = _decode_words(display, charsets) if "=?" in display else display
                except Exception as exc:  # noqa: BLE001 - the display name is kept as written
                    logger.info("undecodable display name %r kept as written: %r", display[:200], exc)
                out.append((clean_str(display.strip().strip('"'), limit=200), email))
    return out


def message_ids(values: list[str]) -> list[str]:
    ids: list[str] = []
    for value in values:
        found = _ID.findall(value)
        if not found:
            found = [tok.strip("<>") for tok in value.split() if "@" in tok]
        for mid in found:
            mid = clean_str(mid.strip(), limit=490)
            if mid and mid not in ids:
                ids.append(mid)
    return ids


def _guess_language(text: str, content_language: str) -> str:
    lang = (content_language or "").split(",")[0].strip().lower()
    if lang.startswith("zh"):
        return "zh-hans"
    if lang.startswith("ru"):
        return "ru"
    if lang.startswith("en"):
        return "en"
    sample = text[:2000]
    if sample.isascii():  # no kana, CJK or Cyrillic: skip the scans
        return ""
    if _KANA.search(sample):
        return ""
    if len(_CJK.findall(sample)) >= 2:
        return "zh-hans"
    if len(_CYRILLIC.findall(sample)) >= 5:
        return "ru"
    return ""


def _part_filename(part: Message, ctype: str, index: int, charsets: tuple[str, ...] = ()) -> str:
    """The attachment's name as sent (any text: tickets/filenames.py shortens it and stores the file under a
    generated name), or part-N.ext when it has none."""
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001
        name = ""
    name = _unsurrogate(str(name), charsets)
    if "=?" in name:
        name = _decode_words(name, charsets)
    name = clean_name(clean_str(name))
    if not name:
        ext = {
            "message/rfc822": "eml",
            "text/plain": "txt",
            "text/html": "html",
            "image/png": "png",
            "image/jpeg": "jpg",
            "image/gif": "gif",
            "application/pdf": "pdf",
        }.get(ctype, "bin")
        name = f"part-{index}.{ext}"
    return name


def _as_bytes(msg: Message) -> bytes:
    for pol in (policy.default, policy.compat32):
        try:
            return msg.as_bytes(policy=pol)
        except Exception as exc:  # noqa: BLE001 - broken headers can defeat the generator
            logger.info("message generator failed with %s: %r", "default" if pol is policy.default else "compat32", exc)
    return str(msg.get_payload()).encode("utf-8", "surrogateescape")


def _payload_bytes(part: Message, ctype: str) -> bytes:
    if ctype.startswith("message/") or part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], Message):
            return _as_bytes(payload[0])
        return _as_bytes(part)
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if not isinstance(data, bytes):  # None: not decodable as a leaf part, or the decoding failed
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    return data


MAX_DEPTH = 30  # nesting levels of multiparts walked; deeper parts count as dropped like those over the limit


def _part_count(part: Message) -> int:
    """A part and every part the walker would visit under it (it descends into multipart/* only)."""
    count, stack = 0, [part]
    while stack:
        current = stack.pop()
        count += 1
        if current.is_multipart() and current.get_content_type().startswith("multipart/"):
            payload = current.get_payload()
            if isinstance(payload, list):
                stack.extend(child for child in payload if isinstance(child, Message))
    return count


class _Walker:
    """Collects text, HTML and files from a MIME tree without descending into attached messages."""

    def __init__(self, charsets: tuple[str, ...], limit: int, total_limit: int, max_parts: int):
        self.charsets = charsets
        self.limit = limit
        self.total_limit = total_limit
        self.max_parts = max_parts
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.files: list[IncomingFile] = []
        self.oversize: list[tuple[str, int]] = []
        self.kept = 0
        self.parts = 0
        self.dropped = 0
        self.defects: list[str] = []
        self.report_types: set[str] = set()  # report-type of multipart/report parts; "delivery-status" for a DSN

    def walk(self, part: Message, depth: int = 0) -> None:
        self.parts += 1
        if self.parts > self.max_parts or depth > MAX_DEPTH:
            if "too many parts" not in self.defects:
                self.defects.append("too many parts")
            self.dropped += _part_count(part)  # this part and all under it: the ticket says how many
            return
        # Read once: each accessor call goes through the header machinery again.
        ctype = part.get_content_type()
        if ctype == "multipart/report":
            self.report_types.add(str(part.get_param("report-type") or "").lower().strip()[:40])
        elif ctype in ("message/delivery-status", "message/global-delivery-status"):
            self.report_types.add("delivery-status")
        if ctype.startswith("multipart/") and part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                for child in payload:
                    if isinstance(child, Message):
                        self.walk(child, depth + 1)
            return
        self.leaf(part, ctype)

    def leaf(self, part: Message, ctype: str) -> None:
        try:
            disposition = (part.get_content_disposition() or "").lower()
        except Exception:  # noqa: BLE001
            disposition = ""
        has_name = bool(part.get_param("name") or part.get_param("filename", header="content-disposition"))
        is_body_text = ctype in ("text/plain", "text/html") and disposition != "attachment" and not has_name
        if is_body_text:
            data = _payload_bytes(part, ctype)
            text, detected = decode_detecting(data, part.get_content_charset(), extra=self.charsets)
            if detected and detected not in self.charsets:
                self.charsets = (*self.charsets, detected)  # a hint for unlabelled headers and parts
            text = clean_str(text)
            (self.texts if ctype == "text/plain" else self.htmls).append(text)
            return
        data = _payload_bytes(part, ctype)
        name = _part_filename(part, ctype, len(self.files) + len(self.oversize) + 1, self.charsets)
        if len(data) > self.limit or self.kept + len(data) > self.total_limit:
            self.oversize.append((name, len(data)))
            return
        raw_ids = [str(v) for k, v in part.raw_items() if k.lower() == "content-id"]
        content_id = _unstructured("Content-ID", raw_ids[0]).strip().strip("<>") if raw_ids else ""
        self.kept += len(data)
        self.files.append(
            IncomingFile(
                filename=name,
                content=data,
                content_type=ctype[:200],
                content_id=clean_str(str(content_id), limit=255),
                is_inline=disposition == "inline" or (bool(content_id) and disposition != "attachment"),
            )
        )


def _automatic(
    headers: Headers, ctype: str, from_email: str, report_types: set[str], subject: str, text: str
) -> tuple[str, bool, bool, bool]:
    """(reason, is_bounce, is_auto_reply, is_bulk) from the headers that mark machine-sent mail.
    Feedback reports and read receipts, and the kinds in machines.py, are judged by _machine."""
    bounce = bounce_hint(
        headers=headers,
        content_type=ctype,
        report_types=report_types,
        from_email=from_email,
        subject=subject,
        text=text,
    )
    if bounce:
        return bounce, True, False, False
    if report_types or ctype == "multipart/report":  # other reports (feedback, read receipts): kept apart too
        return f"report:{sorted(report_types)[0] if report_types else ''}"[:40], True, False, False
    auto_submitted = " ".join(_raw_header(headers, "Auto-Submitted")).strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"auto-submitted:{auto_submitted[:25]}", False, True, False
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-AutoReply-From", "X-Mail-Autoreply"):
        if _raw_header(headers, name):
            return name.lower()[:40], False, True, False
    precedence = " ".join(_raw_header(headers, "Precedence")).strip().lower()
    if precedence in ("auto_reply", "auto-reply"):
        return f"precedence:{precedence}", False, True, False
    if precedence in AUTO_PRECEDENCE:
        return f"precedence:{precedence}", False, False, True
    if _raw_header(headers, "List-Id") or _raw_header(headers, "List-Unsubscribe"):
        return "list", False, False, True
    oof = _raw_header(headers, "X-MS-Exchange-Inbox-Rules-Loop") + _raw_header(headers, "X-Auto-Response")
    if "oof" in " ".join(oof).lower():
        return "exchange-oof", False, True, False
    return "", False, False, False


def _machine(headers: Headers, msg: Message, ctype: str, from_email: str, subject: str, automatic: tuple) -> tuple:
    """_automatic's answer combined with machines.py's: (reason, bounce, auto_reply, bulk, notice, no_reopen,
    suppress). A report that is not about delivery (ARF, read receipt) is never taken for a bounce."""
    report = report_kind(ctype, str(msg.get_param("report-type") or "").lower() if ctype == "multipart/report" else "")
    reason, bounce, auto_reply, bulk = automatic
    if report.kind:
        reason, bounce, auto_reply = report.kind, False, report.auto_reply
        return reason, False, auto_reply, bulk, report.quarantine, True, True
    if bounce:
        return reason, True, False, False, False, True, True
    machine = machine_kind(headers=headers, from_email=from_email, subject=subject)
    auto_reply = auto_reply or machine.auto_reply
    return (
        reason or machine.kind,
        False,
        auto_reply,
        bulk,
        machine.quarantine,
        auto_reply or machine.no_reopen or machine.quarantine,
        machine.suppress,
    )


_STABLE_HEADERS = (
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "content-type",
)


def _content_digest(raw: bytes, headers: Headers) -> str:
    """sha256 of what the sender wrote: the originator's headers (unfolded) and the body (CRs dropped, so a
    CRLF copy and an LF copy agree). Trace headers (Received, Return-Path, Delivered-To,
    Authentication-Results, X-Spam-..., ARC-...) are left out, so one message delivered twice over different
    routes, or re-read after a server move, has one digest, while two different messages sharing a Message-ID
    have two."""
    digest = hashlib.sha256()
    for name in _STABLE_HEADERS:
        for value in headers.get(name, ()):
            digest.update(name.encode() + b":" + " ".join(value.split()).encode("utf-8", "surrogateescape") + b"\n")
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    if end < 0:
        end = raw.find(b"\r\r")
    # Without any CR: mail re-serialised by a webhook has LF line ends where IMAP has CRLF (translate is one C pass).
    digest.update(b"\x00" + (raw[end:].translate(None, b"\r").strip() if end >= 0 else b""))
    return digest.hexdigest()


def _raw_body_sample(raw: bytes) -> str:
    """The first bytes of the body as text, for the bounce and machine checks when no text part could be read
    (a nested multipart whose boundary parameter was cut off, as some carriers' bounces are)."""
    end = -1
    for blank in (b"\n\n", b"\r\n\r\n", b"\r\r"):
        end = raw.find(blank)
        if end >= 0:
            break
    return raw[end : end + 20_000].decode("utf-8", "replace") if end >= 0 else ""


def parse_message(raw: bytes) -> ParsedMail:
    """Parse raw bytes. Raises UnparseableMail only when nothing usable can be read."""
    if not raw or not raw.strip():
        raise UnparseableMail("empty message")
    try:
        # _POLICY (an EmailPolicy) makes EmailMessage objects; typeshed types the result by the _class argument.
        msg: EmailMessage = BytesParser(policy=_POLICY).parsebytes(raw)  # type: ignore[assignment]
    except Exception as exc:
        raise UnparseableMail(f"MIME parser failed: {exc!r}"[:500]) from exc
    headers = _header_index(msg)
    if not headers:
        raise UnparseableMail("no headers")
    declared = []
    for part in msg.walk() if msg.is_multipart() else [msg]:
        try:
            cs = codec_name(part.get_content_charset())
        except Exception:  # noqa: BLE001
            cs = None
        if cs and cs not in declared and cs not in ("utf-8", "ascii"):
            declared.append(cs)
    walker = _Walker(
        tuple(declared),
        settings.SUPPORTLOOP_MAX_ATTACHMENT_BYTES,
        getattr(settings, "SUPPORTLOOP_MAIL_MAX_ATTACHMENTS_BYTES", 25 * 1_048_576),
        getattr(settings, "SUPPORTLOOP_MAIL_MAX_PARTS", 200),
    )
    try:
        walker.walk(msg)
    except RecursionError as exc:
        raise UnparseableMail("MIME structure nested too deeply") from exc
    # The body first: a charset detected in its paragraphs decides short raw 8-bit headers better than the
    # few bytes of a subject can.
    charsets = walker.charsets

    froms = addresses(headers, "From", charsets) or addresses(headers, "Sender", charsets)
    from_name, from_email = froms[0] if froms else ("", "")
    subject = clean_str(header_text(headers, "Subject", charsets), limit=500)
    text = "\n\n".join(t.strip("\n") for t in walker.texts if t.strip())
    html = "\n".join(h for h in walker.htmls if h.strip())
    if not text.strip() and html.strip():
        text = html_to_text(html)
    message_id = (message_ids(_raw_header(headers, "Message-ID")) or [""])[0]
    content_digest = _content_digest(raw, headers)
    key = message_id or "sha256:" + content_digest
    try:
        date_raw = _raw_header(headers, "Date")
        date = parsedate_to_datetime(date_raw[0]) if date_raw else None
    except Exception:  # noqa: BLE001
        date = None
    ctype = msg.get_content_type()
    automatic, bounce, auto_reply, bulk, notice, no_reopen, machine_suppress = _machine(
        headers,
        msg,
        ctype,
        from_email,
        subject,
        _automatic(headers, ctype, from_email, walker.report_types, subject, text or _raw_body_sample(raw)),
    )
    automatic = clean_str(automatic, limit=40)
    suppress = machine_suppress or bool(_raw_header(headers, "X-Auto-Response-Suppress"))
    auth = auth_verdict(
        _raw_header(headers, "Authentication-Results"),
        from_domain=from_email.rpartition("@")[2],
        trusted=settings.SUPPORTLOOP_AUTHSERV_ID,
    )
    envelope = []
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "X-Forwarded-To"):
        envelope += [e for _n, e in addresses(headers, name, charsets) if e not in envelope]
    defects = [type(d).__name__ for d in getattr(msg, "defects", [])] + walker.defects
    return ParsedMail(
        message_id=message_id,
        message_key=key[:500],
        from_email=from_email,
        from_name=from_name,
        reply_to=[e for _n, e in addresses(headers, "Reply-To", charsets)],
        to=[e for _n, e in addresses(headers, "To", charsets)],
        cc=[e for _n, e in addresses(headers, "Cc", charsets)],
        envelope_to=envelope,
        subject=subject,
        date=date,
        in_reply_to=message_ids(_raw_header(headers, "In-Reply-To")),
        references=message_ids(_raw_header(headers, "References")),
        text=text,
        html=html,
        attachments=walker.files,
        oversize=walker.oversize,
        dropped_parts=walker.dropped,
        automatic=automatic,
        is_bounce=bounce,
        is_auto_reply=auto_reply,
        is_bulk=bulk,
        suppress_autoresponse=suppress,
        language=_guess_language(text, header_text(headers, "Content-Language")),
        loop_header=clean_str(" ".join(_raw_header(headers, "X-Loop")).lower(), limit=1000),
        defects=defects[:20],
        is_machine_notice=notice,
        no_reopen=no_reopen,
        content_digest=content_digest,
        auth_verdict=auth.verdict,
        auth_summary=clean_str(auth.summary, limit=200),
    )
