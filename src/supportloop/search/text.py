"""Text preparation shared by indexing and querying, and excerpt highlighting. No SQL here.

- `segment`: Chinese and Japanese runs are cut into words with jieba (its dictionary ships in the package), so
  "我想申请退款" is indexed as "我 想 申请 退款" and the query 退款 finds it. Other scripts pass unchanged.
- `stemmed_words`: for SQLite's FTS5, which has no Russian stemmer: words lower-cased and stemmed with Snowball
  (Russian for Cyrillic words, English for Latin ones), applied alike to documents and queries. PostgreSQL stems
  with its own dictionaries instead (search.engine picks the configuration from the language).
- `highlight`: an excerpt around the first match, HTML-escaped, with the matched words in <mark>.
"""

from __future__ import annotations

import functools
import logging
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_INDEXED_CHARS = 200_000  # PostgreSQL refuses tsvectors over 1 MB; the start of a huge mail is what matters

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
_CJK_CHAR_RE = re.compile(f"[{_CJK}]")
_WORD_RE = re.compile(r"[^\W_]+")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")


@functools.cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@functools.cache
def _stemmer(language: str):
    import snowballstemmer

    return snowballstemmer.stemmer(language)


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR_RE.search(text))


def segment(text: str) -> str:
    """Put spaces between the words of Chinese and Japanese runs; leave everything else as it is."""
    text = text[:MAX_INDEXED_CHARS]
    if not has_cjk(text):
        return text
    jieba = _jieba()

    def cut(match: re.Match) -> str:
        return " " + " ".join(w for w in jieba.cut_for_search(match.group(0)) if w.strip()) + " "

    return _CJK_RUN_RE.sub(cut, text)


@functools.lru_cache(maxsize=100_000)  # excerpts stem the same few thousand words of the phrase of every ticket
def stem(word: str) -> str:
    word = word.lower()
    if has_cjk(word) or word.isdigit():
        return word
    return _stemmer("russian" if _CYRILLIC_RE.search(word) else "english").stemWord(word)


def stemmed_words(text: str) -> list[str]:
    """The words of `text` as the SQLite index holds them: segmented, lower-cased, stemmed."""
    return [stem(w) for w in _WORD_RE.findall(segment(text))]


def plain_words(text: str) -> list[str]:
    """The words of `text`, segmented and lower-cased but not stemmed (prefixes for type-ahead, trigrams)."""
    return [w.lower() for w in _WORD_RE.findall(segment(text))]


def highlight(text: str, terms: list[str], *, width: int = 200) -> SafeString:
    """An escaped excerpt of `text` of about `width` characters around the first word matching `terms` (compared
    stemmed, so "refunds" marks "refund"), with the matches in <mark>. Never returns unescaped input."""
    text = " ".join(text.split())
    wanted = {s for term in terms for s in stemmed_words(term)}
    cjk_terms = [w for term in terms for w in plain_words(term) if has_cjk(w)]
    spans: list[tuple[int, int]] = []
    for match in _WORD_RE.finditer(text):
        if spans and match.start() > spans[0][0] + width:
            break  # past the excerpt around the first match: the rest of the text is not shown
        word = match.group(0)
        if has_cjk(word):
            for term in cjk_terms:
                start = word.find(term)
                while start >= 0:
                    spans.append((match.start() + start, match.start() + start + len(term)))
                    start = word.find(term, start + len(term))
        elif stem(word) in wanted:
            spans.append(match.span())
    spans.sort()
    first = spans[0][0] if spans else 0
    start = max(0, first - width // 3)
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + width)
    parts: list[str] = ["…" if start else ""]
    cursor = start
    for a, b in spans:
        if a < cursor or b > end:
            continue
        parts.append(escape(text[cursor:a]))
        parts.append(f"<mark>{escape(text[a:b])}</mark>")
        cursor = b
    parts.append(escape(text[cursor:end]))
    parts.append("…" if end < len(text) else "")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of the input went through escape()
