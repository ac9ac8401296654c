"""Quoted history and signature stripping, in several languages and client styles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportloop.mail.reply import strip_reply


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("Thanks!\n\nOn Mon, 3 Nov 2025 at 10:00, Support <s@x.test> wrote:\n> old\n> text", "Thanks!"),
        ("Works.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nold", "Works."),
        (
            "Works.\n\nFrom: Support <s@x.test>\nSent: Monday, 3 November 2025 10:00\nTo: me\nSubject: Re: x\n\nold",
            "Works.",
        ),
        ("Спасибо!\n\n-- \nИван Петров\n+7 900 000 00 00", "Спасибо!"),
        ("Спасибо, работает.\n\n23.11.2026, 10:00, Support пишет:\n> старое", "Спасибо, работает."),
        ("谢谢！\n\n在 2026年11月23日 10:00，Support <s@x.test> 写道：\n> 旧的", "谢谢！"),
        ("Danke.\n\nAm 23.11.2026 um 10:00 schrieb Support <s@x.test>:\n> alt", "Danke."),
        ("Quick answer\n\nSent from my iPhone", "Quick answer"),
        ("Top line\n> quoted\n> more quoted\n", "Top line"),
    ],
)
def test_strips_history_and_signature(raw, expected):
    assert strip_reply(raw) == expected


def test_inline_answers_between_quotes_are_kept():
    raw = "> Question one?\nAnswer one.\n> Question two?\nAnswer two.\n"
    out = strip_reply(raw)
    assert "Answer one." in out and "Answer two." in out


def test_a_reply_that_is_only_a_quote_keeps_the_original():
    assert strip_reply("> only a quote\n> here") == "> only a quote\n> here"


def test_from_line_in_the_middle_of_prose_is_not_a_quote_header():
    raw = "Hi,\nFrom: the billing page I cannot pay.\nPlease help."
    assert strip_reply(raw) == raw


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises_and_never_returns_more_than_it_got(text):
    out = strip_reply(text)
    assert isinstance(out, str)
    assert len(out) <= len(text.replace("\r\n", "\n"))
