"""Writes the corpus of difficult messages: `python generate.py` (idempotent; the .eml files are committed).

Each file is named <expected outcome>__<case>.eml, where the outcome is `ticket`, `threaded` or
`quarantined-<reason>`. test_corpus.py ingests each one and checks the outcome and the row counts.
Threaded cases answer the fixture's ticket #1 (Message-ID <root@corpus.test>, requester anna@acme.test).
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRLF = b"\r\n"


def hdrs(**extra: str | bytes) -> list[bytes]:
    base = {
        "From": "Anna Customer <anna@acme.test>",
        "To": "Support <support@example.test>",
        "Subject": "Help needed",
        "Date": "Mon, 23 Nov 2026 10:00:00 +0000",
        "MIME-Version": "1.0",
    }
    for key, value in extra.items():
        name = key.replace("_", "-")
        if value is None:
            base.pop(name, None)
        else:
            base[name] = value
    return [k.encode() + b": " + (v if isinstance(v, bytes) else v.encode()) for k, v in base.items()]


def msg(case: str, headers: list[bytes], body: bytes) -> bytes:
    mid = f"Message-ID: <{case}@corpus.test>".encode()
    has_mid = any(h.lower().startswith(b"message-id:") for h in headers)
    lines = ([] if has_mid or case.startswith("nomid") else [mid]) + headers
    return CRLF.join(lines) + CRLF + CRLF + body


def text_part(text: str, charset: str, cte: str = "8bit") -> tuple[list[bytes], bytes]:
    data = text.encode(charset)
    if cte == "base64":
        body = base64.encodebytes(data).replace(b"\n", CRLF)
    elif cte == "quoted-printable":
        body = quopri.encodestring(data).replace(b"\n", CRLF)
    else:
        body = data
    return [f"Content-Type: text/plain; charset={charset}".encode(), f"Content-Transfer-Encoding: {cte}".encode()], body


def simple(case: str, text: str, charset: str = "utf-8", cte: str = "8bit", **h) -> bytes:
    ct, body = text_part(text, charset, cte)
    return msg(case, hdrs(**h) + ct, body)


def multipart(case: str, subtype: str, parts: list[bytes], boundary: str = "b1", **h) -> bytes:
    body = b""
    for part in parts:
        body += b"--" + boundary.encode() + CRLF + part + CRLF
    body += b"--" + boundary.encode() + b"--" + CRLF
    return msg(case, [*hdrs(**h), f'Content-Type: multipart/{subtype}; boundary="{boundary}"'.encode()], body)


def part(headers: list[str], body: bytes) -> bytes:
    return CRLF.join(h.encode() for h in headers) + CRLF + CRLF + body


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", CRLF)


PNG = base64.b64decode(
    b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
REPLY = {"In_Reply_To": "<root@corpus.test>", "References": "<root@corpus.test>", "Subject": "Re: Printer on fire"}


def cases() -> dict[str, bytes]:
    c: dict[str, bytes] = {}
    c["ticket__plain_ascii"] = simple("plain_ascii", "Hello, my printer is on fire.\r\n")
    c["ticket__utf8_quoted_printable"] = simple("utf8_qp", "Le café est froid — très froid.\n", cte="quoted-printable")
    c["ticket__utf8_base64"] = simple("utf8_b64", "Grüße aus Köln. 日本語も。\n", cte="base64")
    c["ticket__gbk_body"] = simple("gbk", "您好，我的账户无法登录。\n", charset="gbk")
    c["ticket__gb2312_label_gbk_only_chars"] = msg(
        "gb2312_mislabel", [*hdrs(), b"Content-Type: text/plain; charset=gb2312"], "朱镕基先生，您好。\n".encode("gbk")
    )
    c["ticket__big5_body"] = simple("big5", "您好，我的帳戶無法登入。\n", charset="big5")
    c["ticket__koi8r_body"] = simple("koi8r", "Здравствуйте, не работает вход.\n", charset="koi8-r")
    c["ticket__windows1251_body"] = simple(
        "cp1251", "Добрый день! Счёт не оплачивается.\n", charset="windows-1251", cte="quoted-printable"
    )
    c["ticket__iso2022jp_body"] = simple(
        "iso2022jp", "こんにちは、ログインできません。\n", charset="iso-2022-jp", cte="7bit"
    )
    c["ticket__unknown_charset_utf8_bytes"] = msg(
        "unknown_cs_utf8",
        [*hdrs(), b"Content-Type: text/plain; charset=x-made-up"],
        "Ünïcödé text in a made-up charset.\n".encode(),
    )
    c["ticket__unknown_charset_latin1_bytes"] = msg(
        "unknown_cs_latin1",
        [*hdrs(), b"Content-Type: text/plain; charset=unknown-8bit"],
        "Caf\xe9 cr\xe8me br\xfbl\xe9e\n".encode("latin-1"),
    )
    c["ticket__no_charset_8bit_utf8"] = msg(
        "nocharset", [*hdrs(), b"Content-Type: text/plain"], "Привет без charset\n".encode()
    )
    c["ticket__utf16_body"] = simple("utf16", "UTF-16 encoded body text\n", charset="utf-16", cte="base64")
    c["ticket__utf8_declared_invalid_bytes"] = msg(
        "bad_utf8",
        [*hdrs(), b"Content-Type: text/plain; charset=utf-8"],
        b"valid start \xff\xfe\xc3 invalid bytes end\n",
    )
    c["ticket__html_only"] = msg(
        "html_only",
        [*hdrs(), b"Content-Type: text/html; charset=utf-8"],
        b"<html><body><p>Hello <b>there</b></p><p>Second&nbsp;para</p></body></html>",
    )
    c["ticket__html_only_with_script_and_style"] = msg(
        "html_script",
        [*hdrs(), b"Content-Type: text/html"],
        b"<style>p{color:red}</style><script>alert(1)</script><p onclick='x()'>Visible text</p>",
    )
    c["ticket__multipart_alternative"] = multipart(
        "alt",
        "alternative",
        [
            part(["Content-Type: text/plain; charset=utf-8"], b"Plain version"),
            part(["Content-Type: text/html; charset=utf-8"], b"<p>HTML version</p>"),
        ],
    )
    related = part(
        ['Content-Type: multipart/related; boundary="rel"'],
        b"--rel\r\n"
        + part(
            ['Content-Type: multipart/alternative; boundary="alt"'],
            b"--alt\r\n"
            + part(["Content-Type: text/plain"], b"See the image")
            + b"\r\n--alt\r\n"
            + part(["Content-Type: text/html"], b'<p>See <img src="cid:img1@x"></p>')
            + b"\r\n--alt--\r\n",
        )
        + b"\r\n--rel\r\n"
        + part(
            [
                "Content-Type: image/png",
                "Content-ID: <img1@x>",
                "Content-Disposition: inline",
                "Content-Transfer-Encoding: base64",
            ],
            b64(PNG),
        )
        + b"\r\n--rel--\r\n",
    )
    c["ticket__nested_mixed_related_alternative"] = multipart(
        "nested",
        "mixed",
        [
            related,
            part(
                [
                    "Content-Type: application/pdf; name=report.pdf",
                    "Content-Disposition: attachment; filename=report.pdf",
                    "Content-Transfer-Encoding: base64",
                ],
                b64(b"%PDF-1.4 fake"),
            ),
        ],
    )
    c["ticket__inline_image_cid"] = multipart(
        "inline_img",
        "related",
        [
            part(["Content-Type: text/html"], b'<p>Screenshot: <img src="cid:shot"></p>'),
            part(["Content-Type: image/png", "Content-ID: <shot>", "Content-Transfer-Encoding: base64"], b64(PNG)),
        ],
    )
    c["ticket__attachment_rfc2231_filename"] = multipart(
        "rfc2231",
        "mixed",
        [
            part(["Content-Type: text/plain"], b"File attached"),
            part(
                [
                    "Content-Type: application/octet-stream",
                    "Content-Disposition: attachment; "
                    "filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%D0%BE%D1%82%D1%87%D1%91%D1%82.txt",
                    "Content-Transfer-Encoding: base64",
                ],
                b64(b"data"),
            ),
        ],
    )
    c["ticket__attachment_rfc2047_filename"] = multipart(
        "rfc2047_fn",
        "mixed",
        [
            part(["Content-Type: text/plain"], b"File attached"),
            part(
                [
                    'Content-Type: application/octet-stream; name="=?utf-8?B?0L7RgtGH0ZHRgi5kb2N4?="',
                    'Content-Disposition: attachment; filename="=?utf-8?B?0L7RgtGH0ZHRgi5kb2N4?="',
                    "Content-Transfer-Encoding: base64",
                ],
                b64(b"docx bytes"),
            ),
        ],
    )
    c["ticket__oversize_attachment_recorded"] = multipart(
        "oversize",
        "mixed",
        [
            part(["Content-Type: text/plain"], b"A big log follows"),
            part(
                [
                    "Content-Type: application/octet-stream; name=huge.log",
                    "Content-Disposition: attachment; filename=huge.log",
                    "Content-Transfer-Encoding: base64",
                ],
                b64(b"x" * 300_000),
            ),
        ],
    )
    c["ticket__many_small_attachments"] = multipart(
        "many_att",
        "mixed",
        [part(["Content-Type: text/plain"], b"Sixty files")]
        + [
            part(
                [f"Content-Type: text/csv; name=f{i}.csv", f"Content-Disposition: attachment; filename=f{i}.csv"],
                f"a,b\n{i},{i}\n".encode(),
            )
            for i in range(60)
        ],
    )
    inner = simple("inner", "I am the forwarded message", Subject="Inner")
    c["ticket__attached_rfc822_message"] = multipart(
        "fwd_rfc822",
        "mixed",
        [
            part(["Content-Type: text/plain"], b"Forwarding the original below"),
            part(["Content-Type: message/rfc822", "Content-Disposition: attachment"], inner),
        ],
    )
    deep = part(["Content-Type: text/plain"], b"deep text")
    for level in range(60):
        deep = part(
            [f'Content-Type: multipart/mixed; boundary="d{level}"'],
            f"--d{level}\r\n".encode() + deep + f"\r\n--d{level}--\r\n".encode(),
        )
    c["ticket__deeply_nested_multipart"] = msg("deep", hdrs(), b"").replace(b"\r\n\r\n", b"\r\n", 1) + deep
    c["ticket__rfc2047_subject_utf8_base64"] = simple(
        "subj_b", "body", Subject="=?UTF-8?B?0J/RgNC40LLQtdGCLCDQvNC40YAh?="
    )
    c["ticket__rfc2047_subject_gbk_q"] = simple("subj_gbk", "body", Subject="=?GBK?Q?=C4=FA=BA=C3?= world")
    c["ticket__rfc2047_from_name_koi8r"] = simple("from_koi8", "body", From="=?koi8-r?B?6dfBzg==?= <ivan@example.ru>")
    c["ticket__rfc2047_unknown_charset_word"] = simple("subj_unknown", "body", Subject="=?x-bogus?Q?Hello=21?= there")
    c["ticket__raw_8bit_subject_utf8"] = simple("8bit_subj_utf8", "body", Subject="Ошибка при оплате 支付".encode())
    c["ticket__raw_8bit_subject_cp1251"] = simple(
        "8bit_subj_cp1251", "Текст", charset="windows-1251", Subject="Ошибка при оплате".encode("cp1251")
    )
    c["ticket__raw_8bit_from_name_gbk"] = simple(
        "8bit_from_gbk", "正文", charset="gbk", From="张三".encode("gbk") + b" <zhang@example.cn>"
    )
    c["ticket__missing_message_id"] = simple("nomid_1", "No Message-ID at all")
    c["ticket__missing_date"] = simple("nodate", "No date header", Date=None)
    c["ticket__missing_subject"] = simple("nosubj", "No subject header", Subject=None)
    c["ticket__empty_subject"] = simple("emptysubj", "Empty subject", Subject="")
    c["ticket__from_missing_reply_to_present"] = simple(
        "replyto_only", "From is missing", From=None, Reply_To="bob@acme.test"
    )
    c["ticket__empty_body"] = simple("emptybody", "")
    c["ticket__headers_only_no_body_separator"] = (
        CRLF.join([b"Message-ID: <headers_only@corpus.test>", *hdrs(), b"Content-Type: text/plain"]) + CRLF
    )
    c["ticket__boundary_never_appears"] = msg(
        "noboundary",
        [*hdrs(), b'Content-Type: multipart/mixed; boundary="zz"'],
        b"This text has no boundaries at all.\r\n",
    )
    c["ticket__missing_closing_boundary"] = msg(
        "noclose",
        [*hdrs(), b'Content-Type: multipart/mixed; boundary="q"'],
        b"--q\r\nContent-Type: text/plain\r\n\r\nUnclosed part\r\n",
    )
    c["ticket__multipart_without_boundary_param"] = msg(
        "nobparam", [*hdrs(), b"Content-Type: multipart/mixed"], b"Body of a multipart without a boundary\r\n"
    )
    c["ticket__invalid_base64"] = msg(
        "badb64",
        [*hdrs(), b"Content-Type: text/plain; charset=utf-8", b"Content-Transfer-Encoding: base64"],
        b"SGVsbG8g!!!notbase64$$$",
    )
    c["ticket__unknown_transfer_encoding"] = msg(
        "badcte",
        [*hdrs(), b"Content-Type: text/plain", b"Content-Transfer-Encoding: x-uuencode-ish"],
        b"Text with an odd encoding label",
    )
    c["ticket__nul_bytes_in_body"] = msg("nul", [*hdrs(), b"Content-Type: text/plain"], b"before\x00after\x00\r\n")
    c["ticket__nul_byte_in_subject"] = simple("nulsubj", "body", Subject=b"Sub\x00ject")
    c["ticket__garbage_content_type"] = msg("badct", [*hdrs(), b"Content-Type: ;;;=="], b"Body under a broken type")
    c["ticket__text_plain_attachment_only"] = msg(
        "txtatt",
        [*hdrs(), b"Content-Type: text/plain; name=notes.txt", b"Content-Disposition: attachment; filename=notes.txt"],
        b"These are notes in a file",
    )
    c["ticket__application_only_body"] = msg(
        "pdfonly",
        [*hdrs(), b"Content-Type: application/pdf", b"Content-Transfer-Encoding: base64"],
        b64(b"%PDF-1.7 only a pdf"),
    )
    c["ticket__tnef_winmail"] = multipart(
        "tnef",
        "mixed",
        [
            part(["Content-Type: text/plain"], b"See winmail"),
            part(
                ["Content-Type: application/ms-tnef; name=winmail.dat", "Content-Transfer-Encoding: base64"],
                b64(b"\x78\x9f\x3e\x22 tnef"),
            ),
        ],
    )
    c["ticket__calendar_invite"] = multipart(
        "ical",
        "alternative",
        [
            part(["Content-Type: text/plain"], b"Meeting invite"),
            part(["Content-Type: text/calendar; method=REQUEST"], b"BEGIN:VCALENDAR\r\nEND:VCALENDAR"),
        ],
    )
    c["ticket__long_subject_truncated"] = simple("longsubj", "body", Subject="Very long " * 300)
    c["ticket__folded_headers_with_tabs"] = simple(
        "folded", "body", Subject="A subject\r\n\tfolded\r\n  twice", To="Support\r\n <support@example.test>"
    )
    c["ticket__duplicate_headers"] = msg(
        "duphdr",
        [*hdrs(), b"Subject: second subject", b"From: other@acme.test", b"Content-Type: text/plain"],
        b"Two Subjects, two Froms",
    )
    c["ticket__message_id_without_brackets"] = msg(
        "x", [b"Message-ID: bare-id-without-brackets@corpus.test", *hdrs()], b"Bare Message-ID"
    )
    c["ticket__lowercase_header_names"] = (
        CRLF.join(
            [
                b"from: anna@acme.test",
                b"to: support@example.test",
                b"subject: lowercase",
                b"message-id: <lc@corpus.test>",
                b"content-type: TEXT/PLAIN; CHARSET=UTF-8",
            ]
        )
        + CRLF
        + CRLF
        + b"lower-case headers"
    )
    c["ticket__bcc_only_delivered_to"] = simple(
        "bcc_only", "We Bcc'd support", To="partner@other.test", Delivered_To="support@example.test"
    )
    c["ticket__cc_followers"] = simple(
        "cc_followers", "Copying colleagues", Cc="Bob <bob@acme.test>, carol@acme.test, support@example.test"
    )
    c["ticket__precedence_bulk_ingested"] = simple("bulk", "Newsletter-ish", Precedence="bulk")
    c["ticket__list_id_ingested"] = simple("listid", "From a list", List_Id="<users.lists.acme.test>")
    c["ticket__subject_token_from_stranger"] = simple(
        "stranger_token", "Trying to join #1", From="eve@evil.test", Subject="Re: [#1] hello"
    )
    c["ticket__cr_only_line_endings"] = (
        b"From: anna@acme.test\rTo: support@example.test\rSubject: CR only\r"
        b"Message-ID: <cr@corpus.test>\r\rBody with CR endings\r"
    )
    c["ticket__lf_only_line_endings"] = (
        b"From: anna@acme.test\nTo: support@example.test\nSubject: LF only\n"
        b"Message-ID: <lf@corpus.test>\n\nBody with LF endings\n"
    )
    c["ticket__invalid_date"] = simple("baddate", "Bad date", Date="not a date at all")
    c["ticket__from_with_comment_and_quotes"] = simple(
        "fromcomment", "body", From='"Doe, John (Sales)" <john.doe@acme.test> (work)'
    )
    c["threaded__in_reply_to_root"] = simple("reply1", "Thanks, it works now.", **REPLY)
    c["threaded__references_only"] = simple(
        "reply_refs", "Another update", References="<a@b> <root@corpus.test>", Subject="Update"
    )
    c["threaded__subject_token_from_requester"] = simple("reply_token", "Token reply", Subject="Re: [#1] Printer")
    c["threaded__plus_address"] = simple(
        "reply_plus", "Plus address reply", To="support+1@example.test", Subject="no token here"
    )
    c["threaded__outlook_quoted_reply"] = simple(
        "reply_outlook",
        "Works now.\r\n\r\nFrom: Support <support@example.test>\r\nSent: Monday\r\n"
        "To: Anna\r\nSubject: Printer\r\n\r\nOld text",
        **REPLY,
    )
    c["threaded__chinese_quoted_reply"] = simple(
        "reply_zh",
        "谢谢，问题解决了。\n\n在 2026年11月23日 10:00，Support <support@example.test> 写道：\n> 请重启。\n",
        **{**REPLY, "Message_ID": "<reply_zh@corpus.test>"},
    )
    c["threaded__x_autoreply_on_ticket"] = simple("ooo_threaded", "I am out of office.", X_Autoreply="yes", **REPLY)
    c["threaded__auto_submitted_on_ticket"] = simple(
        "autosub_threaded", "Automatic reply", Auto_Submitted="auto-replied", **REPLY
    )
    c["quarantined-auto_reply__auto_submitted_new"] = simple(
        "autosub", "Out of office until Monday", Auto_Submitted="auto-replied", Subject="Automatic reply"
    )
    c["quarantined-auto_reply__x_autorespond_new"] = simple("xautorespond", "Auto", X_Autorespond="true")
    c["quarantined-auto_reply__precedence_auto_reply"] = simple("prec_auto", "Auto", Precedence="auto_reply")
    report = multipart(
        "bounce",
        "report",
        [
            part(["Content-Type: text/plain"], b"Delivery to the following recipient failed permanently"),
            part(
                ["Content-Type: message/delivery-status"],
                b"Reporting-MTA: dns; mx.example\r\n\r\n"
                b"Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1",
            ),
        ],
        From="Mail Delivery System <mailer-daemon@mx.example>",
        Subject="Undelivered Mail Returned to Sender",
    )
    c["quarantined-bounce__multipart_report"] = report
    c["quarantined-bounce__mailer_daemon_plain"] = simple(
        "mdaemon", "Your message could not be delivered", From="MAILER-DAEMON@mx.example", Subject="failure notice"
    )
    c["quarantined-bounce__postmaster_plain"] = simple("postmaster", "Undeliverable", From="postmaster@acme.test")
    c["quarantined-own_address__from_our_mailbox"] = simple("own", "Loop?", From="support@example.test")
    c["quarantined-own_address__x_loop_ours"] = simple("xloop", "Loop", X_Loop="support@example.test")
    c["quarantined-no_sender__missing_from"] = simple("nofrom", "Who am I?", From=None)
    c["quarantined-no_sender__invalid_from"] = simple("badfrom", "Bad From", From="not an address")
    # Machines (issue 10): never acknowledged; the "machine_" cases are checked for that in test_corpus.py.
    c["ticket__machine_noreply_sender"] = simple(
        "m_noreply", "Your receipt #123", From="Shop <noreply@shop.test>", Subject="Your receipt"
    )
    c["ticket__machine_do_not_reply_sender"] = simple(
        "m_dnr", "Your password was changed", From="do-not-reply@accounts.example.org", Subject="Security"
    )
    c["ticket__machine_donotreply_sender"] = simple(
        "m_donotreply", "Invoice attached", From="DoNotReply@billing.example.org", Subject="Invoice"
    )
    c["ticket__machine_bounces_sender"] = simple(
        "m_bounces", "Campaign stats", From="bounces+1234-abcd=acme.test@mailer.example.org"
    )
    c["ticket__machine_x_loop_foreign"] = simple(
        "m_xloop",
        "Your case 998 was updated by our agent.",
        From="help@vendor.example.org",
        X_Loop="help@vendor.example.org",
    )
    c["ticket__machine_x_auto_response_suppress"] = simple(
        "m_xars", "Calendar: accepted", X_Auto_Response_Suppress="All"
    )
    c["quarantined-machine__amazon_ses_complaint_notice"] = simple(
        "m_ses",
        "A complaint was received for a message you sent.",
        From="complaints@email-abuse.amazonses.com",
        Subject="Complaint notification",
    )
    c["quarantined-machine__arf_feedback_report"] = multipart(
        "m_arf",
        "report",
        [
            part(["Content-Type: text/plain"], b"This is an email abuse report for an email message received"),
            part(
                ["Content-Type: message/feedback-report"],
                b"Feedback-Type: abuse\r\nUser-Agent: SomeISP-FBL/1.0\r\n"
                b"Version: 1\r\nOriginal-Mail-From: <support@example.test>",
            ),
            part(["Content-Type: text/rfc822-headers"], b"From: support@example.test\r\nSubject: Re: your ticket"),
        ],
        From="fbl@isp.example.org",
        Subject="Abuse report",
    )
    c["quarantined-machine__arf_feedback_report"] = c["quarantined-machine__arf_feedback_report"].replace(
        b'Content-Type: multipart/report; boundary="b1"',
        b'Content-Type: multipart/report; report-type=feedback-report; boundary="b1"',
    )
    for name, subject in [
        ("en", "Automatic reply: Help needed"),
        ("out_of_office", "Out of Office: Help needed"),
        ("de", "Abwesenheitsnotiz: Help needed"),
        ("zh", "自动回复: Help needed"),
        ("ru", "Автоответ: Help needed"),
        ("fr", "Réponse automatique : Help needed"),
        ("es", "Respuesta automática: Help needed"),
        ("ja", "自動返信: Help needed"),
    ]:
        # Only the subject says "away": a message like any other (a person may have typed it), never acknowledged.
        c[f"ticket__machine_ooo_subject_{name}"] = simple(f"m_ooo_{name}", "I am away until Monday.", Subject=subject)
    c["ticket__machine_ooo_subject_after_reply_prefix"] = simple(
        "m_ooo_prefix", "I am away until Monday.", Subject="RE: Automatic reply: Help needed"
    )
    c["ticket__human_subject_mentions_out_of_office"] = simple(
        "h_ooo_question",
        "Can I set an out-of-office message for my team?",
        Subject="Question about out of office feature",
    )
    # RFC 3834 section 2 addresses: may write to us, never get automatic mail.
    c["ticket__machine_rfc3834_owner_address"] = simple(
        "m_owner", "Your subscription to the list was confirmed.", From="owner-announce@lists.example.org"
    )
    c["ticket__machine_rfc3834_request_address"] = simple(
        "m_request", "Commands processed: subscribe", From="announce-request@lists.example.org"
    )
    # List managers' notices about a list, and a complaint report in the old pre-ARF format.
    c["quarantined-machine__machine_list_manager_fml_admin"] = simple(
        "m_fml",
        "You are not a member of this mailing list <cats@lists.example.org>.",
        From="cats-admin@lists.example.org",
        Subject="You anna@acme.test are not member (cats ML)",
        X_MLServer="fml [fml 4.0.3 release]",
    )
    c["quarantined-machine__machine_list_manager_majordomo"] = simple(
        "m_majordomo",
        "**** Command 'subscribe' not recognised.",
        From="Majordomo@lists.example.org",
        Subject="Majordomo results",
    )
    c["quarantined-machine__machine_complaint_report_pre_arf"] = multipart(
        "m_jmrp",
        "mixed",
        [part(["Content-Type: message/rfc822"], b"From: support@example.test\r\nSubject: Re: x\r\n\r\nHello")],
        From="staff@mail.example.org",
        Subject="complaint about message from 192.0.2.44",
    )
    c["quarantined-auto_reply__machine_null_return_path"] = simple(
        "m_nullrp", "Away", Return_Path="<>", Subject="Re: Help needed"
    )
    c["quarantined-auto_reply__machine_exchange_inbox_rule"] = simple(
        "m_exch", "Away", X_Auto_Response_Suppress="All", X_MS_Exchange_Inbox_Rules_Loop="anna@acme.test"
    )
    c["quarantined-auto_reply__machine_read_receipt"] = multipart(
        "m_mdn",
        "report",
        [
            part(["Content-Type: text/plain"], b"Your message was read."),
            part(
                ["Content-Type: message/disposition-notification"],
                b"Final-Recipient: rfc822; anna@acme.test\r\nDisposition: manual-action/MDN-sent-manually; displayed",
            ),
        ],
        Subject="Read: Help needed",
    ).replace(
        b'multipart/report; boundary="b1"', b'multipart/report; report-type=disposition-notification; boundary="b1"'
    )
    c["threaded__machine_ooo_subject_on_ticket"] = simple(
        "m_ooo_thread", "I am away.", **{**REPLY, "Subject": "Automatic reply: Printer on fire"}
    )
    c["threaded__machine_noreply_notice_on_ticket"] = simple(
        "m_noreply_thread", "Delivery scheduled.", **{**REPLY, "From": "no-reply@courier.example.org"}
    )
    c["quarantined-unparseable__random_binary"] = bytes((i * 37 + 11) % 256 for i in range(2000)).replace(b":", b";")
    c["quarantined-unparseable__empty_file"] = b""
    c["quarantined-unparseable__whitespace_only"] = b"\r\n\r\n   \r\n"
    # Charsets the old fixed fallback order got wrong (issue 10): Latin-1 labelled unknown, UTF-8 labelled Latin-1.
    c["ticket__x_unknown_latin1_german"] = msg(
        "xunknown_de",
        [
            *hdrs(Subject="Rechnung für März".encode("latin-1")),
            b"Content-Type: text/plain; charset=x-unknown",
            b"Content-Transfer-Encoding: 8bit",
        ],
        "Grüße aus Köln, die Rechnung für März fehlt.\r\n".encode("latin-1"),
    )
    c["ticket__utf8_labelled_iso8859_1"] = msg(
        "utf8_as_latin1",
        [
            *hdrs(Subject="=?iso-8859-1?Q?" + "".join(f"={b:02X}" for b in "Вход не работает".encode()) + "?="),
            b"Content-Type: text/plain; charset=iso-8859-1",
            b"Content-Transfer-Encoding: 8bit",
        ],
        "Привет, не могу войти в кабинет.\r\n".encode(),
    )
    # Attachment names without a letter or digit (issue 10): each is kept, none sends the mail to quarantine.
    c["ticket__attachment_names_without_letters"] = multipart(
        "names_no_letters",
        "mixed",
        [
            part(["Content-Type: text/plain"], b"Three files attached"),
            part(
                [
                    "Content-Type: image/png",
                    "Content-Disposition: attachment; filename*=UTF-8''%F0%9F%98%8D",
                    "Content-Transfer-Encoding: base64",
                ],
                b64(PNG),
            ),
            part(["Content-Type: text/plain", 'Content-Disposition: attachment; filename="!!!"'], b"bang"),
            part(["Content-Type: application/octet-stream", 'Content-Disposition: attachment; filename="."'], b"dot"),
        ],
    )
    return c


def main() -> None:
    for old in HERE.glob("*.eml"):
        old.unlink()
    for name, data in cases().items():
        (HERE / f"{name}.eml").write_bytes(data)
    print(f"wrote {len(cases())} messages to {HERE}")


if __name__ == "__main__":
    main()
