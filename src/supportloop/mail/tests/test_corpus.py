"""Every message of the corpus yields a ticket, a threaded message or a quarantine row: never a crash, never a
silent loss. The expected outcome is the file name's prefix (see corpus/generate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportloop.mail.choices import InboundSource
from supportloop.mail.models import InboundMail, Quarantine
from supportloop.mail.services import inbound_ingest
from supportloop.tickets.choices import Channel
from supportloop.tickets.models import Attachment, Message, Ticket

CORPUS = Path(__file__).resolve().parent / "corpus"
FILES = sorted(CORPUS.glob("*.eml"))


def test_corpus_has_at_least_fifty_messages_of_each_kind():
    kinds = {f.name.split("__")[0].split("-")[0] for f in FILES}
    assert len(FILES) >= 50 and kinds == {"ticket", "threaded", "quarantined"}


def counts():
    return (Ticket.objects.count(), Message.objects.count(), Quarantine.objects.count(), InboundMail.objects.count())


@pytest.fixture
def root_ticket(mailbox, settings, make_ticket):
    settings.SUPPORTLOOP_MAX_ATTACHMENT_BYTES = 200_000  # so the corpus's 300 kB attachment is "huge"
    ticket = make_ticket(
        "Printer on fire",
        body="It smokes",
        requester_email="anna@acme.test",
        channel=Channel.EMAIL,
        external_message_id="root@corpus.test",
    )
    assert ticket.number == 1
    return ticket


@pytest.mark.django_db
@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_corpus_message(path, root_ticket, mailbox, mailoutbox, django_capture_on_commit_callbacks):
    expected = path.name.split("__")[0]
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_ingest(raw=path.read_bytes(), mailbox=mailbox, source=InboundSource.IMAP)
    if "__machine_" in path.name:  # mail written by a machine never gets automatic mail (issue 10)
        assert mailoutbox == [] and InboundMail.objects.get(message_key=result.message_key).automatic
    tickets, messages, quarantined, ledger = (a - b for a, b in zip(counts(), before, strict=True))
    assert ledger == 1, "every message leaves exactly one ledger row"
    if expected == "ticket":
        assert result.outcome == "ticket", result
        assert (tickets, messages, quarantined) == (1, 1, 0)
        ticket = Ticket.objects.get(pk=result.ticket_id)
        message = Message.objects.get(pk=result.message_id)
        assert ticket.subject.strip() and message.body_text.strip()
        assert "\x00" not in message.body_text + ticket.subject
    elif expected == "threaded":
        assert result.outcome == "threaded", result
        assert (tickets, messages, quarantined) == (0, 1, 0)
        assert result.ticket_id == root_ticket.pk
    else:
        reason = expected.split("-", 1)[1]
        assert result.outcome == "quarantined" and result.reason == reason, result
        assert (tickets, messages, quarantined) == (0, 0, 1)
        row = Quarantine.objects.get(pk=result.quarantine_id)
        assert bytes(row.raw) == path.read_bytes() and row.raw_size == len(row.raw)
    # Idempotent: the same bytes again store nothing; the skip is one ledger row of its own.
    again = inbound_ingest(raw=path.read_bytes(), mailbox=mailbox, source=InboundSource.IMAP)
    assert again.outcome == "duplicate" and counts() == tuple(
        a + b for a, b in zip(before, (tickets, messages, quarantined, ledger + 1), strict=True)
    )
    assert InboundMail.objects.filter(outcome="duplicate").count() == 1


def _ingest(name, mailbox):
    return inbound_ingest(raw=(CORPUS / f"{name}.eml").read_bytes(), mailbox=mailbox)


@pytest.mark.django_db
class TestCorpusContent:
    """What the hard cases decode to, checked by hand."""

    def body(self, name, mailbox):
        return Message.objects.get(pk=_ingest(name, mailbox).message_id)

    @pytest.mark.parametrize(
        "name,fragment",
        [
            ("ticket__gbk_body", "您好，我的账户无法登录。"),
            ("ticket__gb2312_label_gbk_only_chars", "朱镕基先生"),
            ("ticket__big5_body", "您好，我的帳戶無法登入。"),
            ("ticket__koi8r_body", "Здравствуйте, не работает вход."),
            ("ticket__windows1251_body", "Добрый день! Счёт не оплачивается."),
            ("ticket__iso2022jp_body", "こんにちは、ログインできません。"),
            ("ticket__utf8_quoted_printable", "Le café est froid — très froid."),
            ("ticket__utf8_base64", "Grüße aus Köln. 日本語も。"),
            ("ticket__unknown_charset_utf8_bytes", "Ünïcödé text"),
            ("ticket__unknown_charset_latin1_bytes", "Café crème brûlée"),
            ("ticket__no_charset_8bit_utf8", "Привет без charset"),
            ("ticket__utf16_body", "UTF-16 encoded body text"),
            ("ticket__html_only", "Hello there\nSecond\xa0para"),
            ("ticket__nul_bytes_in_body", "beforeafter"),
            ("ticket__x_unknown_latin1_german", "Grüße aus Köln, die Rechnung für März fehlt."),
            ("ticket__utf8_labelled_iso8859_1", "Привет, не могу войти в кабинет."),
        ],
    )
    def test_charsets_decode(self, name, fragment, root_ticket, mailbox):
        assert fragment in self.body(name, mailbox).body_text

    def test_html_only_drops_script_and_style(self, root_ticket, mailbox):
        message = self.body("ticket__html_only_with_script_and_style", mailbox)
        assert message.body_text == "Visible text"
        assert "script" not in message.body_html and "onclick" not in message.body_html

    @pytest.mark.parametrize(
        "name,subject",
        [
            ("ticket__rfc2047_subject_utf8_base64", "Привет, мир!"),
            ("ticket__rfc2047_subject_gbk_q", "您好 world"),
            ("ticket__raw_8bit_subject_utf8", "Ошибка при оплате 支付"),
            ("ticket__raw_8bit_subject_cp1251", "Ошибка при оплате"),
            ("ticket__missing_subject", "(no subject)"),
            ("ticket__nul_byte_in_subject", "Subject"),
            ("ticket__folded_headers_with_tabs", "A subject folded twice"),
            ("ticket__x_unknown_latin1_german", "Rechnung für März"),
            ("ticket__utf8_labelled_iso8859_1", "Вход не работает"),
        ],
    )
    def test_subjects_decode(self, name, subject, root_ticket, mailbox):
        assert Ticket.objects.get(pk=_ingest(name, mailbox).ticket_id).subject == subject

    def test_encoded_and_8bit_sender_names(self, root_ticket, mailbox):
        _ingest("ticket__rfc2047_from_name_koi8r", mailbox)
        _ingest("ticket__raw_8bit_from_name_gbk", mailbox)
        assert Ticket.objects.get(requester__emails__email="ivan@example.ru").requester.name == "Иван"
        assert Ticket.objects.get(requester__emails__email="zhang@example.cn").requester.name == "张三"

    def test_nested_parts_keep_attachment_and_inline_image(self, root_ticket, mailbox):
        message = self.body("ticket__nested_mixed_related_alternative", mailbox)
        assert message.body_text == "See the image"
        files = {a.filename: (a.content_type, a.is_inline, a.content_id) for a in message.attachments.all()}
        assert files == {"part-1.png": ("image/png", True, "img1@x"), "report.pdf": ("application/pdf", False, "")}

    def test_encoded_filenames(self, root_ticket, mailbox):
        assert self.body("ticket__attachment_rfc2231_filename", mailbox).attachments.get().filename == "报告 отчёт.txt"
        assert self.body("ticket__attachment_rfc2047_filename", mailbox).attachments.get().filename == "отчёт.docx"

    def test_oversize_attachment_is_recorded_not_stored(self, root_ticket, mailbox):
        message = self.body("ticket__oversize_attachment_recorded", mailbox)
        assert message.attachments.count() == 0
        assert "[Attachment not kept: huge.log (300,000 bytes) is over the size limit]" in message.body_text

    def test_attached_message_is_one_eml_attachment(self, root_ticket, mailbox):
        message = self.body("ticket__attached_rfc822_message", mailbox)
        attachment = message.attachments.get()
        assert attachment.filename == "part-1.eml" and attachment.content_type == "message/rfc822"
        assert b"I am the forwarded message" in attachment.file.read()

    def test_sixty_attachments_kept(self, root_ticket, mailbox):
        assert Attachment.objects.filter(message=self.body("ticket__many_small_attachments", mailbox)).count() == 60

    def test_message_reaching_us_only_by_bcc_is_ingested_with_followers_proposed(self, root_ticket, mailbox):
        from supportloop.mail.models import FollowerProposal

        def proposed(ticket_id):  # the corpus's senders are not authenticated: an agent decides on followers
            return sorted(FollowerProposal.objects.filter(ticket_id=ticket_id).values_list("email", flat=True))

        ticket = Ticket.objects.get(pk=_ingest("ticket__bcc_only_delivered_to", mailbox).ticket_id)
        assert ticket.followers == [] and proposed(ticket.pk) == ["partner@other.test"]
        ticket = Ticket.objects.get(pk=_ingest("ticket__cc_followers", mailbox).ticket_id)
        assert proposed(ticket.pk) == ["bob@acme.test", "carol@acme.test"]  # not us, not the requester

    def test_quoted_history_stripped_original_kept(self, root_ticket, mailbox):
        message = self.body("threaded__outlook_quoted_reply", mailbox)
        assert message.body_text == "Works now."
        assert "Old text" in message.body_original
        message = self.body("threaded__chinese_quoted_reply", mailbox)
        assert message.body_text == "谢谢，问题解决了。"
        assert "请重启" in message.body_original

    def test_missing_message_id_dedupes_by_content_hash(self, root_ticket, mailbox):
        first = _ingest("ticket__missing_message_id", mailbox)
        assert first.message_key.startswith("sha256:") and len(first.message_key) == 71
        assert _ingest("ticket__missing_message_id", mailbox).outcome == "duplicate"

    def test_attachment_names_without_letters_are_kept(self, root_ticket, mailbox):
        message = self.body("ticket__attachment_names_without_letters", mailbox)
        assert [a.filename for a in message.attachments.order_by("id")] == ["😍", "!!!", "."]
