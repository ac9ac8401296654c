"""Mail written by machines, recognised from headers alone (the parser calls this; no database work).

Each kind has one treatment (docs/mail.md, "Mail safety", has the table):

| kind                 | new mail                  | on a known ticket                      |
| -------------------- | ------------------------- | -------------------------------------- |
| feedback report (ARF or pre-ARF), mailer notice, list manager | quarantined (`machine`) | quarantined  |
| out-of-office by headers, read receipt, null Return-Path | quarantined (`auto_reply`) | recorded, never reopens |
| out-of-office by subject only ("Automatic reply: ...") | a ticket      | recorded, never reopens        |
| no-reply / bounces@ sender, RFC 3834 address (owner-*, *-request) | a ticket | recorded, never reopens |
| X-Loop (not ours), X-Auto-Response-Suppress | a ticket | a message (a person may have written it) |

List managers: LISTSERV, majordomo, mailman, sympa, and fml's <list>-admin / -ctl with X-MLServer. None of
them ever gets automatic mail. Bounces proper (delivery-status reports, MAILER-DAEMON) are detected
in parsing._automatic, before these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supportloop.mail.bounces import daemon_local

# Local parts of addresses nobody reads: noreply, no-reply, no_reply, noreply-aws, do-not-reply, donotreply,
# dont-reply, do-not-respond, noresponse, bounces, bounce+VERP-tag ... (case-insensitive, any separator).
_NOREPLY_LOCAL = re.compile(
    r"^(?:no[-_.]?repl(?:y|ies)|do[-_.]?not[-_.]?repl(?:y|ies)|don'?t[-_.]?reply|do[-_.]?not[-_.]?respond"
    r"|no[-_.]?response|bounces?)(?:$|[-_.+=0-9])",
    re.IGNORECASE,
)

# RFC 3834 section 2: never send an automatic response to owner-*, *-request, MAILER-DAEMON, LISTSERV,
# majordomo (nor postmaster, RFC 5321 4.5.1); mailman and *-owner are the same list-manager addresses.
_RFC3834_LOCAL = re.compile(r"(?i)^(?:owner-.+|.+-request|.+-owner|listserv|majordomo|mailman|sympa)$")
# List managers whose mail is a notice about a list (fml writes from <list>-admin, with X-MLServer).
_LIST_MANAGER_LOCAL = re.compile(r"(?i)^(?:listserv|majordomo|mailman|sympa)$")
_LIST_ADMIN_LOCAL = re.compile(r"(?i)^.+-(?:admin|ctl)$")
# Hotmail's complaint reports (JMRP) before ARF: a forwarded message, subject naming the sending IP.
_COMPLAINT_SUBJECT = re.compile(r"(?i)^\s*complaint about message from \[?\d{1,3}(?:\.\d{1,3}){3}\]?\s*$")

# Senders whose mail is a notice about our own mail or account at a mail provider, never a customer's request.
NOTICE_DOMAINS = ("amazonses.com", "sns.amazonaws.com", "email-abuse.amazonses.com")

# Subjects of out-of-office and vacation replies (Outlook, Exchange, Gmail, Zimbra, 1&1, QQ, Yandex ... in the
# languages they ship), followed by a colon or nothing: "Automatic reply: Your order", "Out of Office".
_OOO_PHRASES = [
    # en
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto response",
    "autoresponse",
    "auto-response",
    "out of office",
    "out of the office",
    "out of office autoreply",
    "out of office reply",
    "away from the office",
    "away from office",
    "vacation reply",
    "vacation response",
    "ooo",
    # de, nl, sv, da, nb, fi
    "abwesenheitsnotiz",
    "automatische antwort",
    "nicht im büro",
    "automatisch antwoord",
    "afwezigheidsmelding",
    "automatiskt svar",
    "autosvar",
    "automatisk svar",
    "automaattinen vastaus",
    # fr, es, it, pt, ro
    "réponse automatique",
    "reponse automatique",
    "absent du bureau",
    "message d'absence",
    "respuesta automática",
    "respuesta automatica",
    "fuera de la oficina",
    "fuera de oficina",
    "risposta automatica",
    "fuori ufficio",
    "fuori sede",
    "resposta automática",
    "resposta automatica",
    "fora do escritório",
    "răspuns automat",
    # pl, cs, sk, hu, tr, el
    "automatyczna odpowiedź",
    "poza biurem",
    "automatická odpověď",
    "automatická odpoveď",
    "automatikus válasz",
    "házon kívül",
    "otomatik yanıt",
    "otomatik cevap",
    "ofis dışında",
    "αυτόματη απάντηση",
    "εκτός γραφείου",
    # ru, uk, bg
    "автоответ",
    "автоматический ответ",
    "автоответчик",
    "не в офисе",
    "автоматична відповідь",
    "автовідповідь",
    "автоматичен отговор",
    # zh, ja, ko
    "自动回复",
    "自動回覆",
    "自动答复",
    "自動回复",
    "自動返信",
    "自動応答",
    "자동 회신",
    "자동 응답",
    # ar, he, fa, hi, th, vi, id
    "رد تلقائي",
    "תשובה אוטומטית",
    "پاسخ خودکار",
    "स्वचालित उत्तर",
    "ตอบกลับอัตโนมัติ",
    "trả lời tự động",
    "balasan otomatis",
]
# Reply and forward prefixes mail programs put before a subject (Re, AW, SV, Antw, Odp, Ynt, 回复 ...; Fwd, WG,
# TR, RV, 转发 ...), any number of them, with an optional counter: "RE[2]: AW: Automatic reply: ...".
_PREFIXES = (
    r"(?:(?:re|aw|sv|vs|antw|antwort|odp|ynt|res|ref|rif|atb|bls|vá|回复|回覆|答复|返信|fwd?|fw|wg|tr|rv|enc|doorst"
    r"|i|pd|转发|轉寄|転送)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)*"
)
_OOO_SUBJECT = re.compile(
    r"^\s*"
    + _PREFIXES
    + r"(?:\[[^\]]{0,40}\]\s*)?(?:"
    + "|".join(re.escape(p) for p in sorted(_OOO_PHRASES, key=len, reverse=True))
    + r")\s*(?P<sep>[:：\-–(（]|$)",
    re.IGNORECASE,
)


_MARKERS = frozenset(
    {"x-ms-exchange-inbox-rules-loop", "x-auto-response-suppress", "return-path", "x-loop", "x-mlserver", "x-ml-name"}
)


@dataclass(frozen=True)
class Machine:
    kind: str = ""  # "" (a person, as far as headers tell), or the reason stored on the ledger
    quarantine: bool = False  # a report or notice: never a ticket message
    auto_reply: bool = False  # recorded on a known ticket without reopening it; quarantined otherwise
    no_reopen: bool = False  # may open a ticket, but never reopens one
    suppress: bool = False  # ingested normally; only automatic mail is held back


def out_of_office_subject(subject: str) -> bool:
    """The subject starts (after Re:/Fwd: prefixes and a [tag]) with an out-of-office phrase followed by a colon,
    the end, or a dash or bracket in a subject that asks nothing: "Automatic reply: Your order", "Out of Office",
    "Abwesenheitsnotiz", but not "Question about out of office feature" or "Out of office - how do I set it?"."""
    m = _OOO_SUBJECT.match(subject or "")
    if m is None:
        return False
    return m.group("sep") in (":", "：", "") or not subject.rstrip().endswith(("?", "？"))


def noreply_address(address: str) -> bool:
    """An address nobody reads, or one RFC 3834 forbids answering automatically: no automatic mail may go to it."""
    local, _, domain = address.lower().rpartition("@")
    return bool(_NOREPLY_LOCAL.match(local)) or rfc3834_local(local) or notice_domain(domain)


def rfc3834_local(local: str) -> bool:
    """A mail system's or list manager's address (RFC 3834 section 2): MAILER-DAEMON, postmaster (any common
    spelling), owner-*, *-request, *-owner, LISTSERV, majordomo, mailman."""
    return daemon_local(local) or bool(_RFC3834_LOCAL.match(local))


def notice_domain(domain: str) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in NOTICE_DOMAINS)


def report_kind(content_type: str, report_type: str) -> Machine:
    """Reports that are not about delivery (checked before bounces, which are delivery reports)."""
    if content_type == "multipart/report" and report_type == "feedback-report":
        return Machine("feedback-report", quarantine=True)
    if content_type == "multipart/report" and report_type == "disposition-notification":
        return Machine("read-receipt", auto_reply=True)
    return Machine()


def machine_kind(*, headers: dict[str, list[str]], from_email: str, subject: str) -> Machine:
    """What kind of machine mail this is, from the headers (lower-case names, values in message order)."""
    first = {name: headers[name][0] for name in _MARKERS if headers.get(name)}
    local, _, domain = from_email.lower().rpartition("@")
    if notice_domain(domain):
        return Machine(f"notice:{domain}"[:40], quarantine=True)
    if _LIST_MANAGER_LOCAL.match(local) or (
        _LIST_ADMIN_LOCAL.match(local) and ("x-mlserver" in first or "x-ml-name" in first)
    ):
        return Machine(f"list-manager:{local}"[:40], quarantine=True)
    if _COMPLAINT_SUBJECT.match(subject or ""):
        return Machine("feedback-report:complaint", quarantine=True)
    if out_of_office_subject(subject):
        # Only the subject says so, and a person may have typed it: kept as an ordinary message (a ticket,
        # or on the ticket it answers), but never acknowledged and never reopening a closed ticket.
        return Machine("out-of-office:subject", no_reopen=True, suppress=True)
    if "x-ms-exchange-inbox-rules-loop" in first and "x-auto-response-suppress" in first:
        return Machine("exchange-inbox-rule", auto_reply=True)
    if first.get("return-path", "").strip().replace(" ", "") == "<>":
        return Machine("null-return-path", auto_reply=True)
    if _NOREPLY_LOCAL.match(local):
        return Machine(f"noreply:{local}"[:40], no_reopen=True)
    if rfc3834_local(local):
        return Machine(f"rfc3834:{local}"[:40], no_reopen=True)
    if "x-loop" in first:
        return Machine("x-loop", suppress=True)
    if "x-auto-response-suppress" in first:
        return Machine("x-auto-response-suppress", suppress=True)
    return Machine()
