"""Bytes to text when a mail's charset label is missing, unknown or wrong.

The cheap path decides almost every message: the declared charset (mislabels mapped to the superset the
sender meant), decoded strictly. Two cases make a declared decode implausible even when it succeeds: bytes
labelled with a single-byte charset that are valid UTF-8 with multi-byte sequences (Latin-1 text is
practically never valid UTF-8: a UTF-8 mail mislabelled ISO-8859-1), and bytes labelled with a Latin
charset that hold more accented letters than plain ones (Russian or Greek mislabelled as Latin-1).

Only then, or when there is no usable label and the bytes are not UTF-8, is the maintained detector
(charset-normalizer) asked. Its chaos and language-coherence measures are reliable for a paragraph and noise
for a header of three words, where several readings tie at no chaos at all or the right one is dismissed
(it counts "déjà" as chaos). So it proposes readings, and each reading is scored here by what a mail reader
judges cheaply (`implausibility`): a word mixing scripts (`K鰈n`, `GrьЯe`), case changes inside a word,
symbols inside words, accented letters no single language uses together, Russian letter frequencies, rare
ideographs or Hangul, characters no text contains; plus the charset's tier (how often a support desk meets
it). The detector's own verdict counts for text longer than SHORT_BYTES. This module does no I/O and never
raises for any bytes.
"""

from __future__ import annotations

import codecs
import re
from itertools import pairwise

from charset_normalizer import from_bytes

# Charsets mislabelled in the wild, mapped to the superset a sender most likely meant; "" = no information.
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "iso-2022-jp": "iso2022_jp_ext",
    "csiso2022jp": "iso2022_jp_ext",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "unknown-8bit": "",
    "x-unknown": "",
    "unknown": "",
    "default": "",
    "charset": "",
    "8bit": "",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
}

# Readings the detector chooses between, most common at a support desk first, in three tiers: a reading in a
# rarer charset must be more plausible by the tier difference to win, and the order breaks the last ties.
# Baltic, Hebrew, Arabic and Thai single-byte charsets are left out: unlabelled mail in them is rare, and for
# short text their readings of Latin or Cyrillic bytes look as clean as the right one ("déją", "K๖ln").
DETECTOR_TIERS = (
    ("utf_8", "cp1252", "cp1251", "gb18030"),
    ("cp1250", "koi8_r", "big5hkscs", "cp932", "euc_jp", "cp949", "iso8859_2", "cp1253"),
    ("iso8859_15", "cp1254"),
)
DETECTOR_CODECS = tuple(name for tier in DETECTOR_TIERS for name in tier)
# Read by us as well when the detector dismisses them: its mess measure counts any text with over a third of
# accented letters as chaos, which a short French or German header can be ("Grüße, déjà à Köln"). Above
# SHORT_BYTES a reading it dismissed pays DISMISSED_PENALTY.
ALWAYS_CONSIDERED = ("cp1252", "cp1250", "cp1251", "koi8_r", "gb18030", "big5hkscs", "cp932")
SHORT_BYTES = 80
DISMISSED_PENALTY = 2
_RANK = {codecs.lookup(name).name: i for i, name in enumerate(DETECTOR_CODECS)}
_TIER = {codecs.lookup(name).name: t for t, tier in enumerate(DETECTOR_TIERS) for name in tier}
# Python codec names (codecs.lookup(...).name) of single-byte charsets: every byte string decodes in them.
SINGLE_BYTE = frozenset(
    {
        "cp1252",
        "cp1250",
        "cp1251",
        "cp1253",
        "cp1254",
        "cp1255",
        "cp1256",
        "cp1257",
        "cp1258",
        "cp874",
        "latin-1",
        "iso8859-2",
        "iso8859-3",
        "iso8859-4",
        "iso8859-5",
        "iso8859-6",
        "iso8859-7",
        "iso8859-8",
        "iso8859-9",
        "iso8859-10",
        "iso8859-13",
        "iso8859-14",
        "iso8859-15",
        "iso8859-16",
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "cp437",
        "cp850",
        "cp866",
    }
)
# Single-byte charsets for Latin-script languages: there, accented letters are a minority of the letters.
LATIN_SINGLE_BYTE = frozenset(
    {
        "cp1252",
        "cp1250",
        "cp1254",
        "cp1257",
        "cp1258",
        "latin-1",
        "iso8859-2",
        "iso8859-3",
        "iso8859-4",
        "iso8859-9",
        "iso8859-10",
        "iso8859-13",
        "iso8859-14",
        "iso8859-15",
        "iso8859-16",
        "mac-roman",
        "cp437",
        "cp850",
    }
)
# Last resort when the detector offers nothing (binary junk): the most plausible of these, with U+FFFD.
SINGLE_BYTE_FALLBACKS = ("cp1252", "cp1251", "koi8-r")

JAPANESE = frozenset({"cp932", "shift_jis", "euc_jp", "iso2022_jp", "iso2022_jp_ext"})

_HIGH_BYTES = bytes(range(0x80, 0x100))
_NOT_ASCII_LETTERS = bytes(b for b in range(0x100) if not (0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A))


def codec_name(charset: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when it is missing, unknown or says nothing."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = CHARSET_ALIASES.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None, *, extra: tuple[str, ...] = ()) -> str:
    """Decode bytes in their declared charset (or `extra`, charsets declared elsewhere in the message) when
    that reading is plausible; otherwise in the charset the detector finds most plausible. Never raises."""
    return decode_detecting(data, charset, extra=extra)[0]


def decode_detecting(data: bytes, charset: str | None, *, extra: tuple[str, ...] = ()) -> tuple[str, str]:
    """decode_bytes, plus the codec that was used: "" when the declared one was, so a caller can tell a
    detected charset (a hint for the message's other unlabelled text) from a label it already knows."""
    declared = codec_name(charset)
    if declared:
        text, used = _labelled(data, declared)
        if text is None and declared == "utf-8":
            text, used = _mostly_utf8(data), ""  # a few broken bytes in UTF-8 text: keep the rest readable
        if text is not None:
            return text, used
    elif data.isascii():
        return data.decode("ascii"), ""
    for name in dict.fromkeys(codec_name(e) for e in extra):
        text, used = _labelled(data, name) if name and name != declared else (None, "")
        if text is not None:
            return text, used
    text = _utf8(data)
    if text is not None:
        return text, ""  # UTF-8 is always tried: no hint needed
    detected = _detect(data)
    if detected is not None:
        return detected
    text = min((data.decode(name, "replace") for name in SINGLE_BYTE_FALLBACKS), key=implausibility)
    return text, ""


def _labelled(data: bytes, name: str) -> tuple[str | None, str]:
    """The reading in a charset the message names, unless it fails (None) or is implausible (then the
    detector's reading, and its codec)."""
    try:
        text = data.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None, ""
    if name not in SINGLE_BYTE or data.isascii():
        return text, ""
    utf8 = _utf8(data)
    if utf8 is not None:
        return utf8, ""  # valid UTF-8 with multi-byte sequences: the single-byte label is wrong
    if name in LATIN_SINGLE_BYTE and _mostly_accented(data):
        return _detect(data, prefer=name) or (text, "")
    return text, ""


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few invalid bytes (a truncated or spliced part), when most non-ASCII text is valid."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    valid = sum(1 for ch in text if ch > "\x7f" and ch != "\ufffd")
    return text if valid >= 2 * broken else None


def _mostly_accented(data: bytes) -> bool:
    """More bytes >= 0x80 than ASCII letters: not how a Latin-script language reads."""
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    ascii_letters = len(data.translate(None, _NOT_ASCII_LETTERS))
    return high > ascii_letters


def _detect(data: bytes, *, prefer: str = "") -> tuple[str, str] | None:
    """The most plausible reading among charset-normalizer's candidates and its codec (see the module
    docstring); `prefer` wins ties (a label the message gave)."""
    try:
        matches = list(from_bytes(data, cp_isolation=list(DETECTOR_CODECS)))
    except Exception:  # noqa: BLE001 - a detector bug must not lose the message; the caller falls back
        return None
    # For a few words the detector's statistics are noise ("è" scores as chaos, "č" does not): there it only
    # proposes readings, and implausibility and the charset's rank decide.
    weight = 1 if len(data) > SHORT_BYTES else 0
    readings: dict[str, tuple[set[str], int]] = {}  # text -> (codecs giving it, the detector's penalty)
    for match in matches:
        # Codecs that give the very same text are folded into one match.
        names = {codec_name(n) or n for n in [match.encoding, *match.could_be_from_charset]}
        readings[str(match)] = (names, weight * (round(match.chaos * 20) - round(match.coherence * 4)))
    for name in ALWAYS_CONSIDERED:
        name = codecs.lookup(name).name
        if any(name in names for names, _p in readings.values()):
            continue
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if text in readings:
            readings[text][0].add(name)
        else:
            readings[text] = ({name}, weight * DISMISSED_PENALTY)
    best: tuple | None = None
    for text, (names, detector_penalty) in readings.items():
        rank, name = min((-1 if n == prefer else _RANK.get(n, len(_RANK)), n) for n in names)
        tier = 0 if rank == -1 else _TIER.get(name, len(DETECTOR_TIERS))
        penalty = implausibility(text) + detector_penalty + tier
        if names.isdisjoint(JAPANESE):
            penalty += len(_KANA.findall(text[:4000]))  # kana in a Chinese or Korean reading: Japanese misread
        key = (penalty, rank)
        if best is None or key < best[0]:
            best = (key, text, name)
    return (best[1], best[2]) if best else None


def implausibility(text: str) -> int:
    """Penalty for a reading that looks like mojibake (0 = nothing suspicious). Compared only between
    readings of the same bytes, so the weights only need to order them."""
    sample = text[:4000]
    score = 3 * len(_IMPOSSIBLE.findall(sample)) + len(_RARE.findall(sample))
    score += 2 * len(_SYMBOL_IN_WORD.findall(sample)) + 2 * len(_SYMBOL_RUN.findall(sample))
    score += 2 * len(_N_TILDE_NOT_BEFORE_VOWEL.findall(sample)) + 2 * len(_N_ACUTE_BEFORE_VOWEL.findall(sample))
    score += 2 * len(_POLISH_AS_LATIN1.findall(sample))
    score += _foreign_letters(sample) + _uncommon_cyrillic(sample) + 2 * len(_SPACED_HAN.findall(sample))
    for word in _WORD.findall(sample):
        if word.isascii():
            continue
        scripts = {_script(ch) for ch in word}
        if len(scripts) > 1 and (scripts != {"latin", "east_asian"} or _CJK_INSIDE_LATIN.search(word)):
            score += 3  # "GrьЯe", "Kφln", "K鰈n" (but Chinese embeds whole Latin words: "用Python写")
        if any(a.islower() and b.isupper() for a, b in pairwise(word)) or any(
            a.isupper() and b.isupper() and c.islower() for a, b, c in zip(word, word[1:], word[2:], strict=False)
        ):
            score += 2  # "рТЙЧЕФ", "НЛїо", "paŸdziernik": case changes a writer would not make
        if "east_asian" in scripts:
            score += 2 * sum(1 for ch in word if ch >= "\u3040" and not _common_east_asian(ch))
    return score


# C1 controls, private use, the replacement character: no reading of real text contains them.
_IMPOSSIBLE = re.compile(r"[\x80-\x9f\ue000-\uf8ff\ufffd]")
# Rare in mail, frequent in misreadings: Icelandic thorn and eth (Turkish Ş, Polish Ż read as Latin-1), Slovak
# ŕ and ĺ (French à read as Latin-2), Cyrillic letters outside Russian, Ukrainian and Belarusian (Latin-1 or
# GBK bytes read as CP1251), box drawing and geometric shapes (anything read as KOI8-R, Big5 read as GBK).
_RARE = re.compile(
    r"[ÞþÐðŕĺ\u0402\u0403\u0405\u0408-\u040c\u040f\u0452\u0453\u0455\u0458-\u045c\u045f"
    r"\u2500-\u25ff]"
)
_WORD = re.compile(r"[^\W\d_]+")
_KANA = re.compile(r"[\u3040-\u30ff]")
_SYMBOLS = "\u00a1-\u00bf\u00d7\u00f7\u02c0-\u02ff\u201a\u201e\u2020-\u2022\u2030-\u203a\u2500-\u259f"
# A symbol between two letters ("pa¼dziernik", "Za³ó¿", "•Ô‹à"), or two symbols in a row ("·¢Æ±").
_SYMBOL_IN_WORD = re.compile(rf"(?<=[^\W\d_])[{_SYMBOLS}](?=[^\W\d_])")
_SYMBOL_RUN = re.compile(rf"[{_SYMBOLS}]{{2,}}")
# Spanish and Galician "ñ" is always followed by a vowel; Polish "ń" (the same byte in Latin-2) never is.
_N_TILDE_NOT_BEFORE_VOWEL = re.compile(r"[ñÑ](?![aeiouáéíóúüAEIOUÁÉÍÓÚÜ])")
_N_ACUTE_BEFORE_VOWEL = re.compile(r"[ńŃ](?=[aeiouyąęóAEIOUYĄĘÓ])")
# Polish "ę" and "ć" read as Latin-1 "ê" and "æ" where French and Portuguese never put them: "siê", "mogê",
# "proszê", "bêdzie", "rêka", "byæ", "zalogowaæ".
_POLISH_AS_LATIN1 = re.compile(r"[igzkwj]ê\b|ê[dkzg]|æ\b")
# Chinese and Japanese put no spaces between words; Korean does (Korean read as GBK: "救崇窍技夸 肺弊牢捞").
_SPACED_HAN = re.compile(r"[\u4e00-\u9fff] (?=[\u4e00-\u9fff])")
_CJK_INSIDE_LATIN = re.compile(r"[A-Za-z][\u3040-\ufaff]{1,2}(?:[A-Za-z]|$)")
_LATIN_ACCENTED = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
# The accented letters of the Latin-script languages the Windows-125x and ISO-8859 candidates serve.
_ALPHABETS = tuple(
    frozenset(letters)
    for letters in (
        "äöüß",  # German
        "àâæçéèêëîïôœùûüÿ",  # French
        "áéíñóúü",  # Spanish
        "ãõáàâçéêíóôú",  # Portuguese
        "àèéìíîòóùú",  # Italian
        "éëïèóöüáíú",  # Dutch
        "åäöæøéüðþáíóúý",  # Nordic
        "ąćęłńóśźż",  # Polish
        "áčďéěíňóřšťúůýž",  # Czech
        "áäčďéíĺľňóôŕšťúýž",  # Slovak
        "áéíóöőúüű",  # Hungarian
        "ăâîșțşţ",  # Romanian
        "čćđšž",  # Croatian, Slovenian, Bosnian
        "çğıöşüâî",  # Turkish
    )
)
# Ranges of the scripts a support desk's mail is written in; anything else counts as "other".
_SCRIPTS = (
    ("\u0000", "\u024f", "latin"),
    ("\u0370", "\u03ff", "greek"),
    ("\u0400", "\u052f", "cyrillic"),
    ("\u0590", "\u05ff", "hebrew"),
    ("\u0600", "\u06ff", "arabic"),
    ("\u0e00", "\u0e7f", "thai"),
    ("\u1e00", "\u1eff", "latin"),
    ("\u3040", "\u30ff", "east_asian"),
    ("\u3400", "\u9fff", "east_asian"),
    ("\uac00", "\ud7af", "east_asian"),
    ("\uf900", "\ufaff", "east_asian"),
    ("\uff61", "\uff9f", "east_asian"),
)


def _foreign_letters(sample: str) -> int:
    """Accented letters that no single language uses together ("élčve", "vocę"): the fewest letters outside
    the alphabet of the language that explains the reading best."""
    letters = {ch.lower() for ch in _LATIN_ACCENTED.findall(sample)}
    if not letters:
        return 0
    return min(len(letters - alphabet) for alphabet in _ALPHABETS)


_CYRILLIC_LETTERS = re.compile(r"[\u0400-\u045f]")
_COMMON_CYRILLIC = frozenset("оеаинтсрвлОЕАИНТСРВЛ")


def _uncommon_cyrillic(sample: str) -> int:
    """Russian, Ukrainian and Bulgarian text has about 60% of its letters among о е а и н т с р в л; a
    KOI8-R text read as CP1251 (or the reverse) has a third or less ("ЪБЛБЪ УРБУЙВП" for "заказ спасибо")."""
    letters = _CYRILLIC_LETTERS.findall(sample)
    if len(letters) < 4:
        return 0
    common = sum(1 for ch in letters if ch in _COMMON_CYRILLIC)
    return 3 if common * 100 < 45 * len(letters) else 0


def _script(ch: str) -> str:
    for low, high, name in _SCRIPTS:
        if low <= ch <= high:
            return name
    return "other"


def _common_east_asian(ch: str) -> bool:
    """Kana, or an ideograph / Hangul syllable of the common levels of the national standards."""
    if "\u3040" <= ch <= "\u30ff":
        return True
    if "\uff61" <= ch <= "\uff9f":
        return False  # half-width katakana: a legacy of 1980s terminals, typical of misread KOI8-R or Latin
    if "\uac00" <= ch <= "\ud7af":
        code = _encoded(ch, "euc_kr")  # KS X 1001: the 2,350 common syllables, as two bytes (Python's
        return code is not None and code <= 0xFFFF  # codec spells the others as eight-byte jamo sequences)
    code = _encoded(ch, "gb2312")
    if code and 0xB0A1 <= code <= 0xD7F9:  # GB2312 level 1: the 3,755 most used simplified characters
        return True
    code = _encoded(ch, "big5")
    if code and 0xA440 <= code <= 0xC67E:  # Big5 level 1: the 5,401 most used traditional characters
        return True
    code = _encoded(ch, "shift_jis")
    return bool(code and 0x889F <= code <= 0x9872)  # JIS X 0208 level 1 kanji


def _encoded(ch: str, codec: str) -> int | None:
    try:
        return int.from_bytes(ch.encode(codec), "big")
    except UnicodeEncodeError:
        return None
