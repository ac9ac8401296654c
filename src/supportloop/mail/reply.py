"""Strip quoted history and signatures from a customer's reply; the caller keeps the original.

mail-parser-reply (maintained, multi-language) does the main work. In front of it, a small list of
quote-header patterns it misses (Chinese and Japanese clients, "-----Original Message-----" variants,
Outlook's "From: ... Sent: ..." block in several languages) cuts the text first. When stripping would
leave nothing, the original text is returned: losing the customer's words is worse than showing a quote.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "ru", "cs", "ja", "zh", "ko", "pt"]
_parser = EmailReplyParser(languages=LANGUAGES)

# A line that starts quoted history. Checked line by line; the first match ends the reply.
QUOTE_HEADERS = [
    re.compile(
        r"^-{2,}\s*(Original Message|Исходное сообщение|原始邮件|原始郵件|Ursprüngliche Nachricht|"
        r"Message d'origine|Mensaje original|元のメッセージ)\s*-{2,}\s*$",
        re.I,
    ),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^(On|Le|Am|El|Il|Op)\s.{5,200}(wrote|a écrit|schrieb|escribió|ha scritto|schreef)\s*:?\s*$", re.I),
    re.compile(r"^.{0,120}\d{4}.{0,80}(пишет|написал|написала)\s*:\s*$", re.I),
    re.compile(r"^在\s?.{4,200}(写道|寫道)\s*[:：]\s*$"),
    re.compile(r"^.{4,200}(写道|寫道)\s*[:：]\s*$"),
    re.compile(r"^.{4,200}(のメッセージ|が書きました|wrote)\s*[:：]\s*$"),
    re.compile(r"^(From|От|发件人|寄件者|Von|De|差出人)\s*[:：]\s*.+$", re.I),
]
# Outlook-style headers only count as quote start when followed by a Sent/Date/To line.
_HEADER_BLOCK_NEXT = re.compile(
    r"^(Sent|Date|To|Отправлено|Кому|发送时间|日期|收件人|Gesendet|Envoyé|送信日時)\s*[:：]", re.I
)
SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
MOBILE_SIGNATURES = re.compile(
    r"^(Sent from my \w+|Sent from Mail for Windows|Get Outlook for \w+|"
    r"Отправлено с iPhone|发自我的iPhone|从我的 iPhone 发送)\s*$",
    re.I,
)


def _cut_at_quote_header(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or i == 0:
            continue
        for pattern in QUOTE_HEADERS:
            if pattern.match(stripped):
                if pattern is QUOTE_HEADERS[-1]:
                    following = [ln.strip() for ln in lines[i + 1 : i + 4] if ln.strip()]
                    if not any(_HEADER_BLOCK_NEXT.match(ln) for ln in following):
                        continue
                return lines[:i]
    return lines


def _cut_trailing_quotes(lines: list[str]) -> list[str]:
    """Drop a final block of '>' lines (bottom quote); inline answers between quotes stay."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    if end and end < len(lines) and any(ln.lstrip().startswith(">") for ln in lines[end:]):
        return lines[:end]
    return lines


def _cut_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if i and (SIGNATURE_DELIMITER.match(line.rstrip("\r")) or MOBILE_SIGNATURES.match(line.strip())):
            return lines[:i]
    return lines


def strip_reply(text: str) -> str:
    """The new text of a reply without quoted history or signature; the input if nothing would remain."""
    original = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not original.strip():
        return original.strip()
    lines = _cut_at_quote_header(original.split("\n"))
    lines = _cut_trailing_quotes(lines)
    lines = _cut_signature(lines)
    pre = "\n".join(lines).strip()
    try:
        parsed = _parser.read(pre or original)
        body = parsed.replies[0].body.strip() if parsed.replies else ""
    except Exception:  # noqa: BLE001 - the library is a help, never a point of failure
        body = ""
    result = body or pre
    return result if result.strip() else original.strip()
