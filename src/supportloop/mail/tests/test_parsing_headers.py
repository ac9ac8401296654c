"""Header decoding in parse_message, value by value: the cases its shortcuts around the email package's header
registry must get exactly right (encoded words, 8-bit bytes, folding, repeated headers, shared MIME headers)."""

from __future__ import annotations

import pytest

from supportloop.mail.parsing import parse_message


def mail(*headers: bytes, body: bytes = b"body", content_type: bytes = b"text/plain; charset=utf-8") -> bytes:
    """A message with the given header lines, a Content-Type (unless it is empty) and the body."""
    lines = [b"Message-ID: <h@test>", b"Date: Mon, 23 Nov 2026 10:00:00 +0000", *headers]
    if content_type:
        lines.append(b"Content-Type: " + content_type)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@pytest.mark.parametrize(
    "from_header,name,email",
    [
        (b"From: =?koi8-r?B?6dfBzg==?= <ivan@example.ru>", "Иван", "ivan@example.ru"),
        (b'From: "=?utf-8?q?Ren=C3=A9e?=" <renee@example.fr>', "Renée", "renee@example.fr"),
        (b"From: =?utf-8?B?5byg?= =?utf-8?B?5LiJ?= <zhang@example.cn>", "张三", "zhang@example.cn"),
        (b"From: Anna Customer <anna@acme.test>", "Anna Customer", "anna@acme.test"),
        (b"From: Anna  Customer <Anna@ACME.test>", "Anna Customer", "anna@acme.test"),
        (b'From: "Customer, Anna" <anna@acme.test>', "Customer, Anna", "anna@acme.test"),
        (b"From: anna@acme.test (Anna Customer)", "Anna Customer", "anna@acme.test"),
        (b"From: anna.c+help@mail.acme.test", "", "anna.c+help@mail.acme.test"),
    ],
)
def test_sender_name_and_address(from_header, name, email):
    parsed = parse_message(mail(from_header))
    assert (parsed.from_name, parsed.from_email) == (name, email)


@pytest.mark.parametrize(
    "subject_header,subject",
    [
        (b"Subject: =?utf-8?B?0J/RgNC40LLQtdGC?= =?utf-8?B?LCDQvNC40YAh?=", "Привет, мир!"),
        (b"Subject: =?gb2312?Q?=C4=FA=BA=C3?= world", "您好 world"),
        # Encoded words the header registry leaves alone: inside quotes, or in a charset Python does not know.
        (b'Subject: Re: "=?utf-8?q?caf=C3=A9?=" order', 'Re: "café" order'),
        (b"Subject: =?x-bogus?q?caf=C3=A9?= au lait", "café au lait"),
        (b"Subject: 50% off =?not-an-encoded-word", "50% off =?not-an-encoded-word"),
        (b"Subject: A subject\r\n\tfolded\r\n  twice", "A subject folded twice"),
        (b"Subject:    spaces   inside  ", "spaces inside"),
    ],
)
def test_subject_decoding(subject_header, subject):
    assert parse_message(mail(subject_header)).subject == subject


def test_eight_bit_gbk_headers_decode_in_the_body_charset():
    raw = mail(
        "From: 张三 <zhang@example.cn>".encode("gbk"),
        "Subject: 您好，无法登录".encode("gbk"),
        body="正文".encode("gbk"),
        content_type=b"text/plain; charset=gbk",
    )
    parsed = parse_message(raw)
    assert (parsed.from_name, parsed.from_email) == ("张三", "zhang@example.cn")
    assert parsed.subject == "您好，无法登录"
    assert parsed.text == "正文"
    assert parsed.language == "zh-hans"


def test_eight_bit_utf8_subject_without_any_charset():
    raw = mail("Subject: Ошибка при оплате 支付".encode(), content_type=b"")
    assert parse_message(raw).subject == "Ошибка при оплате 支付"


def test_folded_address_and_content_type_headers():
    raw = mail(
        b"From: Anna Customer\r\n <anna@acme.test>",
        b"To: Support\r\n\t<support@example.test>,\r\n bob@acme.test",
        content_type=b"text/plain;\r\n charset=koi8-r",
        body="Привет".encode("koi8-r"),
    )
    parsed = parse_message(raw)
    assert (parsed.from_name, parsed.from_email) == ("Anna Customer", "anna@acme.test")
    assert parsed.to == ["support@example.test", "bob@acme.test"]
    assert parsed.text == "Привет"


def test_duplicate_headers_first_subject_and_sender_every_recipient():
    raw = mail(
        b"From: Anna Customer <anna@acme.test>",
        b"Subject: Help needed",
        b"To: support@example.test",
        b"Subject: second subject",
        b"From: other@acme.test",
        b"To: Bob <bob@acme.test>",
        b"Cc: carol@acme.test",
        b"cc: CAROL@acme.test, dave@acme.test",
    )
    parsed = parse_message(raw)
    assert parsed.subject == "Help needed"
    assert (parsed.from_name, parsed.from_email) == ("Anna Customer", "anna@acme.test")
    assert parsed.to == ["support@example.test", "bob@acme.test"]
    assert parsed.cc == ["carol@acme.test", "dave@acme.test"]


def test_first_of_two_content_types_decides():
    raw = mail(
        b"Content-Type: text/plain; charset=koi8-r",
        content_type=b"text/html; charset=utf-8",
        body="Привет".encode("koi8-r"),
    )
    parsed = parse_message(raw)
    assert (parsed.text, parsed.html) == ("Привет", "")


def test_content_language_and_content_id():
    raw = (
        b"From: a@acme.test\r\nMessage-ID: <cid@test>\r\nContent-Language: ru, en\r\n"
        b'Content-Type: multipart/related; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nplain text\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-ID:\r\n <img1@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"iVBORw0KGgo=\r\n--b--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.language == "ru"
    [image] = parsed.attachments
    assert (image.filename, image.content_type, image.content_id, image.is_inline, image.content) == (
        "part-1.png",
        "image/png",
        "img1@x",
        True,
        b"\x89PNG\r\n\x1a\n",
    )


def test_same_mime_headers_in_many_messages_give_each_its_own_result():
    """MIME header objects are shared between messages with the same header: each still decodes its own."""
    koi8 = mail(b"Subject: one", content_type=b"text/plain; charset=koi8-r", body="Привет".encode("koi8-r"))
    gbk = mail(b"Subject: two", content_type=b"text/plain; charset=gbk", body="您好".encode("gbk"))
    attachment = mail(
        b"Subject: three",
        body="您好".encode("gbk"),
        content_type=b'text/plain; charset=gbk; name="=?utf-8?B?0L7RgtGH0ZHRgi50eHQ=?="',
    )
    for _ in range(3):
        assert parse_message(koi8).text == "Привет"
        assert parse_message(gbk).text == "您好"
        parsed = parse_message(attachment)
        assert parsed.text == "" and [(a.filename, a.content) for a in parsed.attachments] == [
            ("отчёт.txt", "您好".encode("gbk"))
        ]
