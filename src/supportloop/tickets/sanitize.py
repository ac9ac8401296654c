"""HTML in, safe HTML out. Customer HTML is never trusted: nh3 (Ammonia) keeps a small allow-list."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "cid", "data"}
_URL = re.compile(r"(https?://[^\s<>\"']+)")


def sanitize_html(raw: str) -> str:
    return nh3.clean(
        raw or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def text_to_html(text: str) -> str:
    """Escape plain text and keep its paragraphs, line breaks and links."""
    paragraphs = re.split(r"\n{2,}", (text or "").strip())
    out = []
    for para in paragraphs:
        escaped = html.escape(para)
        escaped = _URL.sub(r'<a href="\1" rel="noopener noreferrer nofollow">\1</a>', escaped)
        out.append("<p>" + escaped.replace("\n", "<br>") + "</p>")
    return "".join(out)


def html_to_text(raw: str) -> str:
    """A readable plain-text rendering of HTML (for HTML-only messages)."""
    text = re.sub(r"(?is)<(script|style|head)[^>]*>.*?</\1>", "", raw or "")
    text = re.sub(r"(?i)<br\s*/?>", "\n", text)
    text = re.sub(r"(?i)</(p|div|li|tr|h[1-6]|blockquote)>", "\n", text)
    text = re.sub(r"(?i)<li[^>]*>", "- ", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
