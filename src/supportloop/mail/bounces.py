"""Bounces: recognise delivery status notifications and read what failed, for whom, and which mail it was.

Two entry points, both free of database work:

- `bounce_hint(...)`: a cheap yes/no from headers, the subject and (only when a header already points that way)
  the body text. `parsing.parse_message` calls it for every message, so it must stay cheap; it errs towards
  "bounce" only when a machine signal is present, never on words a person might write ("undeliverable").
- `bounce_read(raw)`: the full reading of a message already judged a bounce: failed recipients with status code,
  diagnostic text and remote MTA, whether each failure is permanent, and the Message-IDs of the original mail
  (from the returned message or headers, quoted header lines, or any message id the text names) so the caller
  can find the ticket.

Formats: RFC 3464 `multipart/report; report-type=delivery-status` (and RFC 6533 global DSNs, DSN fields sent as
plain text, a delivery-status part inside an attached message), Amazon SES/SNS JSON bounce notifications, and the
free-text bounces of the MTAs flufl.bounce knows (Exim, Postfix, qmail, Sendmail, Exchange, GroupWise, Yahoo,
AOL, Netscape, SMTP32, Sina, ... its "simple match" patterns cover many more) plus our own patterns for what it
misses (Office 365 and Exchange NDR text, Gmail, Lotus Domino/Notes, DragonFly, OpenSMTPD, Courier, localized
bounces). flufl.bounce finds addresses; the codes and diagnostics around them are read here.

Permanent means: RFC 3463 class 5 (or a permanent wording without a code), except a full mailbox, which the
recipient can fix. Class 4, "delayed" reports, greylisting and quota errors are temporary.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses

logger = logging.getLogger("supportloop.mail")

MAX_TEXT = 200_000  # characters of explanation text looked at
MAX_RECIPIENTS = 50
MAX_IDS = 50
DIAGNOSTIC_LIMIT = 1000

# --- recognising a bounce -----------------------------------------------------------------------------------

DAEMON_LOCALPARTS = frozenset(
    {
        "mailer-daemon",
        "mailerdaemon",
        "mail-daemon",
        "maildaemon",
        "mailer_daemon",
        "mail.delivery.system",
        "mail-delivery-system",
        "mail_delivery_system",
    }
)
POSTMASTER_LOCALPARTS = frozenset(
    {
        "postmaster",
        "post_master",
        "post-master",
        "poostmaster",
        "mailadmin",
        "mail-admin",
        "mailer",
        "mail",
        "smtp",
        "mta",
        "bounce",
        "bounces",
        "mail-notification",
        "daemon",
        "root",
        "system",
        "administrator",
        "sysadmin",
    }
)
# Variants of the two addresses every MTA bounces from (RFC 5321 4.5.1, RFC 3834 2): MAILER-DAEMON,
# mailer_daemon, MailerDaemon, mail-daemon, MDaemon, mailer-daemon+tag; postmaster, post_master, post.master,
# postmaster-tag. A separator or a +tag may follow.
_DAEMON_LOCAL = re.compile(r"(?i)^(?:mail(?:er)?[-_.]?daemon|mdaemon)(?:$|[-_.+=])")
_POSTMASTER_LOCAL = re.compile(r"(?i)^post[-_.]?master(?:$|[-_.+=])")


def daemon_local(local: str) -> bool:
    """The local part of a mail system's own address (MAILER-DAEMON or postmaster, any common spelling)."""
    return local in DAEMON_LOCALPARTS or bool(_DAEMON_LOCAL.match(local) or _POSTMASTER_LOCAL.match(local))


_DAEMON_NAME = re.compile(
    r"(?i)mail(er)?[ -_]?daemon|mail delivery (sub)?system|mail delivery service|"
    r"mail deliver system|post ?master|系统退信|邮件系统|邮件退信|Почтовая служба|"
    r"Mail Administrator|Mail Delivery|Internet Mail Delivery|Microsoft Outlook|Mail System"
)

# Subjects bounces start with (after an optional [tag]), in the languages MTAs and Exchange ship. Matched against
# the lower-cased subject (faster than a case-insensitive pattern: this runs on every inbound message).
_SUBJECT = re.compile(
    r"(?x)^\s*(?:\[[^\]]{0,40}\]\s*)?(?:"
    # en
    r"undeliver|undelivered|returned\ mail|returned\ to\ sender|mail\ delivery|delivery\ status|delivery\ fail"
    r"|delivery\ notification|delivery\ report|delivery\ problem|delivery\ has\ failed|delivery\ delayed"
    r"|failure\ notice|failure\ delivery|failed\ delivery|failed\ mail|mail\ failure|mail\ failed|non[-\ ]?deliver"
    r"|nondeliverable|message\ not\ delivered|message\ delivery|could\ not\ (?:be\ )?deliver|mail\ system\ error"
    r"|warning:\ could\ not\ send|warning--could\ not|warning:\ message\ .{0,60}\ delayed|delayed\ mail"
    r"|permanent\ delivery|postmaster\ notify|notice:\ mail\ delivery|sorry,\ your\ message|bounced?\ mail"
    r"|there\ was\ an\ error\ sending|error\ sending\ message|message\ you\ sent\ blocked|mail\ could\ not"
    r"|your\ message\ (?:could|was|has|cannot|can't|couldn't|wasn't)|email\ delivery\ failure|ndr\b|dsn\b"
    # de
    r"|unzustellbar|nicht\ zustellbar|zustellung|unzustellbare|benachrichtigung\ zum\ übermittlungsstatus"
    r"|fehler\ beim\ (?:zustellen|senden)|nachricht\ konnte\ nicht|rückläufer"
    # fr, es, it, pt, nl, sv, da, no, fi, pl, cs, hu, tr
    r"|non\ remis|non\ distribuable|échec\ de\ (?:la\ )?(?:remise|distribution|livraison)|notification\ d'état"
    r"|rapport\ de\ non-remise|non\ délivré|message\ non\ remis|no\ se\ puede\ entregar|no\ se\ pudo\ entregar"
    r"|no\ entregado|notificación\ de\ estado\ de\ entrega|error\ de\ entrega|non\ recapitabile|mancato\ recapito"
    r"|impossibile\ recapitare|notifica\ stato\ di\ consegna|não\ (?:é|foi)\ possível\ entregar|não\ entregue"
    r"|notificação\ de\ status\ de\ entrega|onbestelbaar|niet\ afgeleverd|bericht\ over\ de\ bezorgstatus"
    r"|olevererbar|kan\ ikke\ leveres|ikke\ levert|kunne\ ikke\ leveres|ei\ voitu\ toimittaa|niedostarczaln"
    r"|nie\ można\ dostarczyć|powiadomienie\ o\ stanie\ dostarczenia|nedoručiteln|nelze\ doručit"
    r"|kézbesíthetetlen|teslim\ edilemedi|iletilemedi"
    # ru, uk, el, ar, he
    r"|недоставлен|не\ доставлен|невозможно\ доставить|не\ удается\ доставить|не\ удалось\ доставить"
    r"|уведомление\ о\ статусе\ доставки|ошибка\ доставки|возврат\ письма|недоставлене|не\ вдалося\ доставити"
    r"|δεν\ είναι\ δυνατή\ η\ παράδοση|تعذر\ التسليم|לא\ ניתן\ למסירה"
    # zh, ja, ko
    r"|系统退信|退信|无法投递|无法送达|投递失败|发送失败|未送达|邮件被退回|无法传递|未能送达|傳送狀態通知|传送状态通知"
    r"|無法傳遞|無法投遞|退回|メールエラー|エラー通知|error\ notification|delivery\ error|mail\ error|配信不能"
    r"|配送状態通知|配信エラー|配信できません|不達|배달\ 못\ 함|전달되지\ 않음|배달\ 상태\ 알림"
    r")"
)
# Phrases that mark a bounce wherever they stand in the subject ("Mail System Error - Returned Mail",
# "Warning: could not send message ... Delivery Status Notification (Delay)"). A subject alone never makes a
# bounce: bounce_hint also wants a machine sender or MTA boilerplate in the text.
_SUBJECT_ANYWHERE = re.compile(
    r"non-?\s?deliver|undeliverable|could\s+not\s+be\s+delivered|delivery\s+status\s+notification|returned\s+mail"
    r"|failure\s+notice|mail\s+delivery\s+failed|delivery\s+has\s+failed|permanent\s+delivery\s+failure"
)
# A forward of a bounce: "Fwd: Returned mail: ...". Only a bounce when the DSN's own fields came along.
_FORWARD_PREFIX = re.compile(r"(?i)^\s*(?:(?:fwd?|fw|tr|wg|rv|enc|doorst|vs|vb|i)\s*(?:\[\d+\])?\s*[:：]\s*)+")
_QUOTED_DSN = re.compile(r"(?im)^[ \t>]*final-recipient\s*:.{0,400}?^[ \t>]*(?:action|status)\s*:", re.DOTALL)

# Boilerplate of bounce explanations: only a machine writes these sentences.
_STRONG_TEXT = re.compile(
    r"(?i)"
    r"this is the mail system at host|i'm sorry to have to inform you that your message could not"
    r"|this message was created automatically by mail delivery software|a message that you sent could not be"
    r" delivered|the following address\(es\) failed|qmail-send program|i'm afraid i wasn't able to deliver"
    r"|permanent fatal errors|the original message was received at|transcript of session follows"
    r"|delivery has failed to these recipients|your message (?:couldn't|could not|wasn't|was not) (?:be )?"
    r"delivered|delivery to the following recipients? failed|diagnostic information for administrators"
    r"|remote server returned|generating server:|the following message to <?[^ ]+ was undeliverable"
    r"|your message did not reach some or all of the intended recipients|sorry, we were unable to deliver"
    r"|this is an automatically generated delivery status notification|^final-recipient:|^diagnostic-code:"
    r"|^reporting-mta:|^action: (?:failed|delayed)|^status: [45]\.\d|delivery to the following recipient has"
    r" been delayed|message will be retried|still trying|could not be delivered to one or more|there was an"
    r" error delivering your mail|unsent message follows|the header of the original message is following"
    r"|message could not be delivered|was not delivered to|could not deliver mail to|delivery failed for"
    r"|returned mail|unable to deliver (?:your )?message|mail delivery failed|undelivered mail|user unknown"
    r"|unknown user|no such user|mailbox (?:does not exist|not found|unavailable|is full)|recipient address"
    r" rejected|address rejected|host (?:or domain name )?not found|smtp error|remote host said|said: [45]\d\d"
    r"|\b[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}\b|\b[45]\.\d{1,3}\.\d{1,3} ?[-(]|undeliverable"
    r"|konnte nicht zugestellt werden|zustellung an folgende empfänger|n'a pas pu être (?:remis|distribué)"
    r"|échec de la remise|не может быть доставлено|не удалось доставить|не доставлено|невозможно доставить"
    r"|无法送达|无法投递|投递失败|退信|发送失败|配信できませんでした|no se pudo entregar|non è stato possibile"
    r"|kon niet worden afgeleverd|não pôde ser entregue|nie można dostarczyć|did not reach the following recipient"
    r"|recipient name is not recognized|could not be delivered to|invalid user address|requested action not taken"
    r"|no such user here|送信できませんでした|配信できません|宛先不明|无法发送|邮件退回|ошибка доставки"
)
_NOREPLY = re.compile(r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|no[-_.]?response)")
_SES_BOUNCE = re.compile(r'\\?"notificationType\\?"\s*:\s*\\?"Bounce')
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+"
)


def _local(address: str) -> str:
    return address.rpartition("@")[0].lower() if "@" in address else address.lower()


def bounce_hint(
    *,
    headers: dict[str, list[str]],
    content_type: str,
    report_types: set[str],
    from_email: str,
    subject: str,
    text: str,
) -> str:
    """Why this message is a bounce (e.g. "bounce:dsn"), or "" when it is not one. Cheap: see module docstring.

    `headers` maps lower-case names to raw values; `report_types` are the report-type parameters of every
    multipart/report part and the types of delivery-status parts found ("delivery-status" for either)."""
    if "delivery-status" in report_types:
        return "bounce:dsn"
    if report_types & {"feedback-report", "disposition-notification"}:
        return ""  # a complaint (ARF) or a read receipt reports on our mail too, but nothing failed
    if headers.get("x-failed-recipients"):
        return "bounce:x-failed-recipients"
    if headers.get("x-ms-exchange-message-is-ndr") is not None:
        return "bounce:exchange-ndr"
    raw_from = " ".join(headers.get("from", [])) or " ".join(headers.get("sender", []))
    local = _local(from_email) if from_email else ""
    postmaster = bool(_POSTMASTER_LOCAL.match(local))
    if (daemon_local(local) and not postmaster) or (
        not from_email and re.search(r"(?i)mailer-daemon|mail delivery", raw_from)
    ):
        return "bounce:from:mailer-daemon"
    low_subject = (subject or "").lower()
    subject_says = bool(subject) and bool(_SUBJECT.match(low_subject) or _SUBJECT_ANYWHERE.search(low_subject))
    forwarded = _FORWARD_PREFIX.match(low_subject)
    if forwarded and subject_says and _QUOTED_DSN.search(text[:20_000]) and _own_words(text) <= FORWARD_NOTE_WORDS:
        # A bounce passed on with (next to) no words of the forwarder's own: a forwarding rule or a person
        # handing the report on; recorded as a bounce (quarantined when it matches no mail of ours, releasable).
        return "bounce:forwarded"
    machine = ""
    if (
        postmaster
        or local in POSTMASTER_LOCALPARTS
        or _DAEMON_NAME.search(raw_from.split("<")[0] if "<" in raw_from else "")
    ):
        machine = "from:" + (local or "daemon")
    elif "".join(headers.get("return-path", [])).replace(" ", "").strip() in ("<>", "<<>>"):
        machine = "null-return-path"
    elif any(
        v.strip().lower().startswith(("auto-generated", "auto-replied", "auto-notified"))
        for v in headers.get("auto-submitted", [])
    ):
        machine = "auto-submitted"
    elif _NOREPLY.match(local):
        machine = "from:no-reply"
    if from_email.endswith(("amazonses.com", "amazonaws.com")) and _SES_BOUNCE.search(text[:20_000]):
        return "bounce:ses-notification"
    sample = text[:20_000]
    if machine and (subject_says or _STRONG_TEXT.search(sample)):
        return f"bounce:{machine}"[:40]
    if subject_says and _STRONG_TEXT.search(sample) and _looks_generated(sample):
        return "bounce:subject+text"
    return ""


FORWARD_NOTE_WORDS = 8
_FORWARD_MARK = re.compile(r"(?im)^(?:-{2,}\s*(?:forwarded|original) message|begin forwarded message|>|from:\s|-{5,})")


def _own_words(text: str) -> int:
    """Words a forwarder wrote above what they forwarded."""
    m = _FORWARD_MARK.search(text)
    return len((text[: m.start()] if m else text).split())


_GENERATED = re.compile(
    r"(?im)^(?:final-recipient|diagnostic-code|status|action|remote-mta|reporting-mta):"
    r"|\b[45]\d\d[ -]#?[45]\.\d{1,3}\.\d{1,3}\b|\b[45]\.\d{1,3}\.\d{1,3}\b|\b5[0-5]\d\b"
    r"|this is the mail system|mail delivery software|qmail-send|transcript of session"
    r"|delivery has failed to these recipients|remote server returned|generating server"
    r"|delivery status notification|mail delivery failed|undelivered mail returned"
)


def _looks_generated(text: str) -> bool:
    """A bounce subject with no machine sender: also require an SMTP code, DSN field or MTA boilerplate, so a
    person who writes "Undeliverable parcel" about a parcel is not a bounce."""
    return bool(_GENERATED.search(text))


# --- reading a bounce -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedRecipient:
    address: str
    status: str = ""  # RFC 3463 enhanced status code, e.g. "5.1.1"; "" when the bounce gives none
    smtp_code: str = ""  # the SMTP reply code, e.g. "550"
    action: str = "failed"  # DSN Action: failed, delayed (delivered/relayed/expanded are not failures)
    diagnostic: str = ""
    remote_mta: str = ""
    permanent: bool = True

    def summary(self) -> str:
        code = " ".join(c for c in (self.smtp_code, self.status) if c)
        return f"{self.address}: {code + ' ' if code else ''}{self.diagnostic}".strip()


@dataclass(frozen=True)
class BounceReport:
    is_bounce: bool
    format: str = ""  # "rfc3464", "ses-notification", "flufl", "text", ...
    recipients: tuple[FailedRecipient, ...] = ()  # failures only
    original_message_ids: tuple[str, ...] = ()  # returned message's own first, then any named
    reply_ids: tuple[str, ...] = ()  # In-Reply-To and References of the bounce itself
    ticket_numbers: tuple[int, ...] = ()  # X-Supportloop-Ticket of the returned message
    feedback_refs: tuple[str, ...] = ()  # X-Supportloop-Feedback of the returned message
    original_recipients: tuple[str, ...] = ()  # To/Cc of the returned message
    reporting_mta: str = ""
    delivered: tuple[str, ...] = ()  # addresses a success DSN reports as delivered

    @property
    def permanent(self) -> tuple[FailedRecipient, ...]:
        return tuple(r for r in self.recipients if r.permanent)

    @property
    def temporary(self) -> tuple[FailedRecipient, ...]:
        return tuple(r for r in self.recipients if not r.permanent)

    def summary(self) -> str:
        if not self.recipients:
            return "no failed recipient could be read"
        parts = [
            ("permanent" if r.permanent else "temporary") + " failure for " + r.summary() for r in self.recipients[:10]
        ]
        return "; ".join(parts)


_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_CODE = re.compile(r"(?<![\w.#-])([245][0-5]\d)(?:[ ,;:)\]-]|$)")
_MSGID = re.compile(r"<([^<>\s@]{1,250}@[^<>\s]{1,250})>")
_HEADER_ID = re.compile(r"(?im)^[ \t>]*(?:original-)?(?:x-original-)?message-id\s*:\s*\n?[ \t]*<?([^\s<>]+@[^\s<>]+)>?")
_TEMPORARY = re.compile(
    r"(?i)delayed|will (?:be )?retr|still (?:being )?tr|retrying|temporar|deferred|greylist"
    r"|graylist|try again later|retry timeout|timed? ?out|not reachable|unreachable"
    r"|connection refused|kept in the queue"
)
_PERMANENT_WORDS = re.compile(
    r"(?i)permanent|user unknown|unknown user|no such|does not exist|doesn't exist"
    r"|not exist|invalid|not found|unrouteable|host unknown|unknown recipient|disabled"
    r"|not recognized|inactive|rejected|refused|blocked|denied|not permitted|not allowed"
)
_MAILBOX_FULL = re.compile(
    r"(?i)mail ?(?:box|folder) (?:is )?full|over ?quota|quota exceeded|exceed.{0,40}quota"
    r"|insufficient (?:system )?storage|out of storage|mailbox.{0,40}exceed|exceeds allowed size"
    r"|storage (?:quota|limit)|postfach (?:ist )?voll|boîte .{0,20}pleine|ящик переполнен"
    r"|邮箱已满|空间不足|メールボックスが一杯"
)
# Where the returned original starts inside a text explanation.
_RETURNED_START = re.compile(
    r"(?im)^[ \t>-]*(?:-+ ?(?:original message|unsent message follows|returned message|this is a copy of"
    r"|below this line is a copy|the header of the original message|original message header)"
    r"|original message headers:|message headers follow|--- below this line|-+ ?returned message"
    r"|\s*(?:received|return-path|dkim-signature|authentication-results|arc-seal|mime-version):[ \t])"
)


def _decode_part(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if not isinstance(data, bytes):  # None: a multipart part, or the decoding failed
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    for name in (charset, "utf-8", "cp1252"):
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def _unfold(value: str) -> str:
    """One line of storable text: no NUL, no lone surrogates (8-bit header bytes), whitespace collapsed."""
    value = (value or "").replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return re.sub(r"\s+", " ", value).strip()


def _dsn_blocks(part: Message) -> list[dict[str, str]]:
    """The field groups of a delivery-status part: per-message first, then one per recipient."""
    payload = part.get_payload()
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                fields = {k.lower(): _unfold(str(v)) for k, v in block.items()}
                if fields:
                    blocks.append(fields)
        if blocks:
            return blocks
        text = "\n\n".join(b.as_string() for b in payload if isinstance(b, Message))
    else:
        text = _decode_part(part)
    return _field_blocks(text)


def _field_blocks(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    for chunk in re.split(r"\r?\n[ \t]*\r?\n", text.replace("\r\n", "\n")):
        fields: dict[str, str] = {}
        name = ""
        for line in chunk.split("\n"):
            if line[:1] in (" ", "\t") and name:
                fields[name] += " " + line.strip()
                continue
            m = re.match(r"([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$", line.strip())
            if m:
                name = m.group(1).lower()
                fields[name] = fields.get(name) or m.group(2).strip()
        if fields:
            blocks.append({k: _unfold(v) for k, v in fields.items()})
    return blocks


def _typed_address(value: str) -> str:
    """The address of 'rfc822; <a@b>' (or 'x400; ...RFC-822=a(a)b...', or a bare address)."""
    value = (value or "").strip()
    kind, sep, rest = value.partition(";")
    if sep and kind.strip().lower() == "x400":
        m = re.search(r"(?i)rfc-822=([^/]+)", rest)
        value = m.group(1).replace("(a)", "@") if m else ""
    elif sep:
        value = rest
    m = _ADDRESS.search(value)
    return m.group(0).lower().strip(".") if m else ""


def _strip_type(value: str) -> str:
    kind, sep, rest = (value or "").partition(";")
    return _unfold(rest if sep and len(kind) < 20 else value)


def _codes(text: str) -> tuple[str, str]:
    """(enhanced status, SMTP code) found in a diagnostic text; the most specific status wins."""
    statuses = ["{}.{}.{}".format(*m.groups()) for m in _STATUS.finditer(text or "")]
    statuses = [s for s in statuses if s[0] in "45"]
    status = next((s for s in statuses if not s.endswith(".0.0")), statuses[0] if statuses else "")
    smtp = _SMTP_CODE.search(text or "")
    return status, smtp.group(1) if smtp and smtp.group(1)[0] in "45" else ""


_NO_DOMAIN = re.compile(
    r"(?i)\bNXDOMAIN\b|domain name not found|no such domain|domain (?:does not|doesn't) exist"
    r"|host or domain name not found"
)


def _permanent(status: str, smtp_code: str, action: str, diagnostic: str) -> bool:
    """Class 5 is permanent, class 4 temporary; a full mailbox is temporary whatever its code (the recipient can
    fix it); without a code, the wording decides, and a failure that says nothing either way is permanent."""
    if action.startswith("delayed"):
        return False
    if status == "5.2.2" or _MAILBOX_FULL.search(diagnostic):
        return False
    if action.startswith("failed") and _NO_DOMAIN.search(diagnostic):
        return True  # the sending MTA gave up because the domain does not exist, whatever class it reported
    code_class = status[:1] or smtp_code[:1]
    if code_class in ("4", "5"):
        return code_class == "5"
    if _PERMANENT_WORDS.search(diagnostic):
        return True
    return not _TEMPORARY.search(diagnostic)


def _recipient(
    address: str,
    *,
    status: str = "",
    smtp_code: str = "",
    action: str = "failed",
    diagnostic: str = "",
    remote_mta: str = "",
) -> FailedRecipient:
    diagnostic = _unfold(diagnostic)[:DIAGNOSTIC_LIMIT]
    found_status, found_smtp = _codes(diagnostic)
    if not status or (status.endswith(".0.0") and found_status and found_status[0] == status[0]):
        status = found_status or status
    smtp_code = smtp_code or found_smtp
    return FailedRecipient(
        address=address,
        status=status,
        smtp_code=smtp_code,
        action=action or "failed",
        diagnostic=diagnostic,
        remote_mta=remote_mta[:255],
        permanent=_permanent(status, smtp_code, action or "failed", diagnostic),
    )


class _Collected:
    """What a walk over the bounce's MIME tree found."""

    def __init__(self) -> None:
        self.dsn_blocks: list[dict[str, str]] = []
        self.texts: list[str] = []
        self.original_headers: list[Message] = []
        self.json_texts: list[str] = []


def _walk(msg: Message, found: _Collected, depth: int = 0, *, inside_returned: bool = False) -> None:
    if depth > 12:
        return
    ctype = msg.get_content_type()
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        found.dsn_blocks.extend(_dsn_blocks(msg))
        return
    if ctype in ("message/rfc822", "message/global"):
        payload = msg.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
        if inner is not None:
            found.original_headers.append(inner)
            # A bounce forwarded or wrapped by a gateway: its own report may sit inside.
            if not found.dsn_blocks and not inside_returned and inner.get_content_type() == "multipart/report":
                _walk(inner, found, depth + 1, inside_returned=True)
        return
    if ctype in ("text/rfc822-headers", "message/rfc822-headers", "text/rfc822-header", "message/global-headers"):
        try:
            found.original_headers.append(HeaderParser(policy=policy.compat32).parsestr(_decode_part(msg)))
        except Exception as exc:  # noqa: BLE001 - hostile input; the report's other parts still count
            logger.info("bounce: returned headers part unreadable, skipped: %r", exc)
        return
    if msg.is_multipart():
        payload = msg.get_payload()
        if isinstance(payload, list):
            for child in payload[:50]:
                if isinstance(child, Message):
                    _walk(child, found, depth + 1, inside_returned=inside_returned)
        return
    if inside_returned:
        return
    if ctype.startswith("multipart/"):  # its boundary never appears: the whole body is the text
        payload = msg.get_payload()
        if isinstance(payload, str):
            found.texts.append(payload[:MAX_TEXT])
        return
    if ctype.startswith("text/") or ctype == "application/json":
        text = _decode_part(msg)
        if ctype == "text/html":
            from supportloop.tickets.sanitize import html_to_text

            try:
                text = html_to_text(text)
            except Exception:  # noqa: BLE001
                text = re.sub(r"<[^>]+>", " ", text)
        found.texts.append(text[:MAX_TEXT])


def _explanation(text: str) -> str:
    """The bounce's own words, without the returned message that often follows them in the same text."""
    m = _RETURNED_START.search(text, 40)
    return text[: m.start()] if m else text


def _context(text: str, address: str) -> str:
    """The lines that explain one address's failure: its line and the few after it."""
    low = text.lower()
    at = low.find(address)
    if at < 0:
        return ""
    start = low.rfind("\n", 0, at) + 1
    lines = text[start:].split("\n")
    out = [lines[0]]
    for line in lines[1:8]:
        others = {a.lower() for a in _ADDRESS.findall(line)} - {address}
        if others and not _codes(line)[0] and not _codes(line)[1]:
            break  # the next recipient's entry
        if not line.strip() and len(out) > 2:
            break
        out.append(line)
    return " ".join(x.strip() for x in out if x.strip())


_HELP_LINE = re.compile(
    r"(?i)contact|for (?:further )?(?:assistance|help|more information)|please|administrator"
    r"|questions|support team|helpdesk|help desk|visit|see http"
)


def _help_only(explanation: str, address: str) -> bool:
    """The address appears only on "for assistance, contact ..." lines: a help address, not a failed one."""
    lines = [line for line in explanation.lower().split("\n") if address in line]
    return bool(lines) and all(_HELP_LINE.search(line) for line in lines)


def _text_recipients(explanation: str, exclude: set[str]) -> list[str]:
    """Addresses a free-text bounce names as failed: after a failure phrase, or in angle brackets or on a
    line of their own."""
    out: list[str] = []
    for m in _ADDRESS.finditer(explanation):
        address = m.group(0).lower().strip(".")
        if address in exclude or address in out or _local(address) in DAEMON_LOCALPARTS | {"postmaster"}:
            continue
        line_start = explanation.rfind("\n", 0, m.start()) + 1
        line = explanation[
            line_start : explanation.find("\n", m.end()) if "\n" in explanation[m.end() :] else len(explanation)
        ]
        if re.match(
            r"(?i)\s*(?:received|from|by|for|message-id|return-path|reporting-mta|arrival-date|"
            r"x-[\w-]+|generating server)\b",
            line,
        ) or _HELP_LINE.search(line):
            continue
        if re.search(r"(?i)\b(?:id|helo|ehlo)\s*[<=]?\s*$", explanation[line_start : m.start()]):
            continue
        out.append(address)
        if len(out) >= MAX_RECIPIENTS:
            break
    return out


def _ses_notification(texts: list[str]) -> tuple[list[FailedRecipient], list[str], list[str]] | None:
    """Amazon SES bounce notifications delivered by SNS as JSON: (recipients, message ids, ticket numbers)."""
    for text in texts:
        start = text.find("{")
        if start < 0 or "notificationType" not in text:
            continue
        try:
            data = json.loads(text[start : text.rfind("}") + 1])
        except ValueError:
            continue
        if isinstance(data.get("Message"), str):  # the SNS envelope around the SES notification
            try:
                data = json.loads(data["Message"])
            except ValueError:
                continue
        if not isinstance(data, dict) or data.get("notificationType") != "Bounce":
            continue
        bounce = data.get("bounce") or {}
        permanent = bounce.get("bounceType") == "Permanent"
        recipients = []
        for row in bounce.get("bouncedRecipients") or []:
            address = _typed_address(str(row.get("emailAddress", "")))
            if address:
                diagnostic = str(row.get("diagnosticCode") or bounce.get("bounceSubType") or "")
                r = _recipient(
                    address,
                    status=str(row.get("status") or ""),
                    diagnostic=diagnostic,
                    remote_mta=str(bounce.get("remoteMtaIp") or ""),
                    action=str(row.get("action") or "failed"),
                )
                if r.permanent != permanent and not (permanent and r.status == "5.2.2"):
                    r = FailedRecipient(**{**r.__dict__, "permanent": permanent})
                recipients.append(r)
        mail = data.get("mail") or {}
        ids = [str((mail.get("commonHeaders") or {}).get("messageId") or "")]
        tickets = []
        for header in mail.get("headers") or []:
            name = str(header.get("name", "")).lower()
            if name == "message-id":
                ids.append(str(header.get("value", "")))
            elif name == "x-supportloop-ticket":
                tickets.append(str(header.get("value", "")))
        return recipients, [i.strip().strip("<>") for i in ids if i.strip()], tickets
    return None


def _addresses(values: list[str]) -> list[str]:
    try:
        pairs = getaddresses([str(v) for v in values if v])
    except Exception:  # noqa: BLE001
        return []
    return [a.lower() for _n, a in pairs if "@" in a]


def _flufl_failures(msg: Message) -> tuple[set[str], set[str]]:
    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # a detector bug must not lose the bounce; our own patterns still run
        logger.exception("flufl.bounce failed")
        return set(), set()

    def text(values) -> set[str]:
        out = set()
        for value in values:
            value = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            m = _ADDRESS.search(value)
            if m:  # its heuristics sometimes return a fragment of text around the address
                out.add(m.group(0).lower().strip("."))
        return out

    return text(temporary), text(permanent)


def bounce_read(raw: bytes) -> BounceReport:
    """Read a message judged a bounce (see bounce_hint). Never raises; an unreadable bounce comes back with
    no recipients (the caller still records it)."""
    try:
        # One line ending: bounces written on old Macs end lines with CR alone, and the text patterns use LF.
        msg = BytesParser(policy=policy.compat32).parsebytes(raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
    except Exception:  # noqa: BLE001
        return BounceReport(is_bounce=True, format="unparseable")
    try:
        return _read(msg)
    except Exception:  # hostile input must not stop ingest; the bounce is still recorded
        logger.exception("reading a bounce failed")
        return BounceReport(is_bounce=True, format="unreadable")


def _read(msg: Message) -> BounceReport:
    found = _Collected()
    _walk(msg, found)
    text = "\n\n".join(found.texts)
    explanation = _explanation(text)

    # The returned original: its ids, our ticket header, its recipients and sender.
    original_ids: list[str] = []
    tickets: list[int] = []
    feedback: list[str] = []
    original_to: list[str] = []
    original_from: set[str] = set()
    for headers in found.original_headers:
        original_ids += [m for v in headers.get_all("Message-ID", []) for m in _MSGID.findall(str(v))]
        tickets += [
            int(v) for v in re.findall(r"\d{1,15}", " ".join(map(str, headers.get_all("X-Supportloop-Ticket", []))))
        ]
        feedback += [str(v).strip() for v in headers.get_all("X-Supportloop-Feedback", [])]
        original_to += _addresses(headers.get_all("To", []) + headers.get_all("Cc", []))
        original_from |= set(_addresses(headers.get_all("From", [])))
    # Quoted header lines in the text (non-standard bounces quote the original's headers).
    original_ids += _HEADER_ID.findall(text)
    tickets += [int(n) for n in re.findall(r"(?im)^[ \t>]*X-Supportloop-Ticket:\s*(\d{1,15})", text)]
    feedback += re.findall(r"(?im)^[ \t>]*X-Supportloop-Feedback:\s*(\S{1,40})", text)
    if not original_to:
        original_to = _addresses(re.findall(r"(?im)^[ \t>]*(?:To|Cc):[ \t]*(.+)$", text[len(explanation) :]))
    original_from |= set(_addresses(re.findall(r"(?im)^[ \t>]*From:[ \t]*(.+)$", text[len(explanation) :])))

    own = set(_addresses(msg.get_all("To", []) + msg.get_all("From", [])))
    exclude = own | original_from | {i.lower() for i in original_ids}

    recipients: list[FailedRecipient] = []
    delivered: list[str] = []
    fmt = ""
    reporting = ""
    # 1. RFC 3464 fields (a delivery-status part, or the same fields written as text).
    blocks = found.dsn_blocks or [
        b for b in _field_blocks(explanation) if "final-recipient" in b or ("original-recipient" in b and "action" in b)
    ]
    for block in blocks:
        if "reporting-mta" in block and not reporting:
            reporting = _strip_type(block["reporting-mta"])
        address = _typed_address(block.get("final-recipient", "")) or _typed_address(
            block.get("original-recipient", "")
        )
        if not address:
            continue
        action = block.get("action", "failed").lower().split()[0] if block.get("action") else "failed"
        status = _codes(block.get("status", ""))[0]
        if action in ("delivered", "relayed", "expanded", "deliverable") or block.get("status", "")[:2] == "2.":
            delivered.append(address)
            continue
        diagnostic = _strip_type(block.get("diagnostic-code", ""))
        if not diagnostic:
            diagnostic = _unfold(_context(explanation, address))
        recipients.append(
            _recipient(
                address,
                status=status,
                action=action,
                diagnostic=diagnostic,
                remote_mta=_strip_type(block.get("remote-mta", "")),
            )
        )
    if recipients or delivered:
        fmt = "rfc3464" if found.dsn_blocks else "rfc3464-text"

    ids_extra: list[str] = []
    # 2. Amazon SES via SNS (JSON).
    if not recipients and not delivered:
        ses = _ses_notification(found.texts)
        if ses is not None:
            recipients, ses_ids, ses_tickets = ses
            original_ids = ses_ids + original_ids
            tickets += [int(t) for t in ses_tickets if t.isdigit() and len(t) <= 15]
            fmt = "ses-notification"
    # 3. Free text: Exim's header, flufl.bounce's detectors, then our own patterns.
    if not recipients and not delivered:
        temporary: set[str] = set()
        permanent: set[str] = set()
        named = _addresses(msg.get_all("X-Failed-Recipients", []))
        if named:
            fmt = "x-failed-recipients"
        else:
            temporary, permanent = _flufl_failures(msg)
            named = sorted(
                (a for a in (temporary | permanent) - exclude if not _help_only(explanation, a)),
                key=lambda a: (text.lower().find(a) % 10**9, a),
            )
            fmt = "flufl" if named else ""
        if not named:
            named = _text_recipients(explanation, exclude) or _text_recipients(explanation, original_from)
            fmt = "text" if named else ""
        if not named and len(set(original_to) - exclude) == 1:
            named = list(set(original_to) - exclude)  # the returned message had one recipient: it failed
            fmt = "returned-recipient"
        global_status, global_smtp = _codes(explanation)
        for address in named[:MAX_RECIPIENTS]:
            context = _context(explanation, address) or _context(text, address)
            status, smtp_code = _codes(context)
            diagnostic = context
            if not status and not smtp_code:
                status, smtp_code = global_status, global_smtp
                diagnostic = _diagnostic_lines(explanation) or context
            r = _recipient(
                address,
                status=status,
                smtp_code=smtp_code,
                diagnostic=diagnostic,
                action="delayed" if address in temporary and address not in permanent else "failed",
            )
            if not status and not smtp_code and r.permanent and _TEMPORARY.search(explanation[:3000]):
                r = FailedRecipient(**{**r.__dict__, "permanent": False, "action": "delayed"})
            recipients.append(r)

    reply_ids = [
        m for v in msg.get_all("In-Reply-To", []) + msg.get_all("References", []) for m in _MSGID.findall(str(v))
    ]
    ids_extra = _MSGID.findall(text)
    bounce_id = {m for v in msg.get_all("Message-ID", []) for m in _MSGID.findall(str(v))}
    ids = [i for i in dict.fromkeys([*original_ids, *ids_extra]) if i not in bounce_id and "@" in i][:MAX_IDS]
    if not ids:  # carriers' bounces (post_master@ "Re: <subject>") name the original only in In-Reply-To
        ids = [i for i in dict.fromkeys(reply_ids) if i not in bounce_id and "@" in i][:MAX_IDS]
    unique: dict[str, FailedRecipient] = {}
    for r in recipients:
        unique.setdefault(r.address, r)
    return BounceReport(
        is_bounce=True,
        format=fmt or "unrecognised",
        recipients=tuple(unique.values())[:MAX_RECIPIENTS],
        original_message_ids=tuple(i.strip("<>") for i in ids),
        reply_ids=tuple(dict.fromkeys(reply_ids)),
        ticket_numbers=tuple(dict.fromkeys(t for t in tickets if 0 < t < 2**63)),
        feedback_refs=tuple(dict.fromkeys(feedback)),
        original_recipients=tuple(dict.fromkeys(original_to)),
        reporting_mta=reporting[:255],
        delivered=tuple(delivered),
    )


def _diagnostic_lines(explanation: str) -> str:
    """The lines of an explanation that carry an SMTP reply or status code, as the diagnostic."""
    lines = [line.strip() for line in explanation.split("\n") if _codes(line)[0] or _codes(line)[1]]
    return " ".join(lines[:4])
