"""Mail safety (issue 10): no open relay, capped acknowledgements that never quote an unauthenticated
subject, no followers from forged mail, machine mail never answered, every copy of a message accounted for,
quarantined mail released to a chosen contact. Each test here failed on the code before the fix."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from supportloop.core.models import Event
from supportloop.customers.services import contact_create
from supportloop.mail.authresults import auth_verdict
from supportloop.mail.checks import mail_checks
from supportloop.mail.choices import AutomaticMailKind, InboundSource, QuarantineReason
from supportloop.mail.models import (
    AutomaticMail,
    AutoResponse,
    FollowerProposal,
    InboundMail,
    Quarantine,
)
from supportloop.mail.parsing import parse_message
from supportloop.mail.services import inbound_ingest, mailbox_update
from supportloop.mail.services.followers import follower_proposal_accept, follower_proposal_dismiss
from supportloop.mail.services.guard import automatic_mail_blocked, automatic_mail_claim
from supportloop.tickets.choices import Status
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import ticket_reply, ticket_update
from supportloop_testing.mail import raw_mail

pytestmark = pytest.mark.django_db

OURS = "mx.support.test"


def acks(outbox) -> list:
    return [m for m in outbox if m.extra_headers.get("Auto-Submitted") == "auto-replied"]


@pytest.fixture
def trusted(settings):
    settings.SUPPORTLOOP_AUTHSERV_ID = [OURS]
    return settings


# 1 (a): the open relay ------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
def test_300_forged_webhook_posts_without_a_secret_create_no_ticket_and_no_acknowledgement(
    mailbox, settings, mailoutbox
):
    settings.ANYMAIL = {}
    client = Client()
    statuses = set()
    for i in range(300):
        raw = raw_mail(mid=f"spam{i}@evil.test", frm=f"victim{i}@x.test", subject="BUY CHEAP PILLS http://evil.test")
        statuses.add(
            client.post(
                "/mail/inbound/sendgrid/",
                {"email": raw.decode(), "to": "support@example.test", "from": f"victim{i}@x.test"},
            ).status_code
        )
    assert statuses == {404}
    assert Ticket.objects.count() == 0 and InboundMail.objects.count() == 0 and mailoutbox == []
    for esp in ("mailgun", "postmark", "amazon_ses", "brevo"):
        assert client.post(f"/mail/inbound/{esp}/", b"{}", content_type="application/json").status_code == 404


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
def test_webhook_with_a_secret_still_works(mailbox, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    raw = raw_mail(mid="ok@acme.test")
    auth = "Basic " + base64.b64encode(b"hook:s3cret").decode()
    response = Client().post("/mail/inbound/sendgrid/", {"email": raw.decode()}, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200 and Ticket.objects.count() == 1


def test_check_deploy_reports_a_missing_webhook_secret_as_an_error(settings):
    settings.ANYMAIL = {}
    issues = {issue.id: issue for issue in mail_checks()}
    assert "supportloop.E501" in issues and issues["supportloop.E501"].is_serious()
    settings.ANYMAIL = {"WEBHOOK_SECRET": "a:b"}
    assert "supportloop.E501" not in {issue.id for issue in mail_checks()}


# 1 (b): acknowledgements are capped --------------------------------------------------------------------------


def test_one_acknowledgement_per_recipient_per_hour_and_the_skips_are_recorded(
    mailbox, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        results = [
            inbound_ingest(raw=raw_mail(mid=f"n{i}@x.test", frm="chatty@x.test", subject=f"s{i}"), mailbox=mailbox)
            for i in range(4)
        ]
    assert len(acks(mailoutbox)) == 1
    skipped = AutoResponse.objects.exclude(skipped_reason="")
    assert skipped.count() == 3 and all("per recipient" in r.skipped_reason for r in skipped)
    assert {r.sent_at for r in skipped} == {None}
    # The skip is on the ticket's timeline, where an agent sees it, and in the automatic-mail log.
    last = Ticket.objects.get(pk=results[-1].ticket_id)
    event = Event.objects.get(verb="mail.acknowledgement_skipped", target_id=str(last.pk))
    assert "per recipient" in event.changes["reason"][1]
    assert AutomaticMail.objects.exclude(blocked_reason="").count() == 3


def test_the_mailbox_ceiling_pauses_acknowledgements_and_tells_the_admins_once(
    mailbox, mailoutbox, make_user, django_capture_on_commit_callbacks
):
    admin = make_user("admin")
    make_user("agent")
    mailbox_update(mailbox=mailbox, autoresponder_max_per_hour=3)
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(7):
            inbound_ingest(
                raw=raw_mail(mid=f"f{i}@x.test", frm=f"sender{i}@x{i}.test", subject=f"s{i}"), mailbox=mailbox
            )
    assert len(acks(mailoutbox)) == 3
    alerts = [m for m in mailoutbox if m not in acks(mailoutbox)]
    assert len(alerts) == 1 and alerts[0].to == [admin.email] and "paused" in alerts[0].subject
    mailbox.refresh_from_db()
    assert mailbox.autoresponder_paused_at is not None
    assert Event.objects.filter(verb="mail.autoresponder_paused").count() == 1
    assert AutoResponse.objects.filter(skipped_reason__contains="ceiling").count() == 4


def test_the_guard_keeps_zammads_ladder_for_any_automatic_mail(mailbox, make_contact, make_ticket):
    contact = make_contact(email="busy@x.test")
    one = make_ticket(requester=contact)
    assert automatic_mail_blocked(recipient="busy@x.test", ticket_id=one.pk, kind=AutomaticMailKind.NOTICE) == ""
    for _ in range(10):
        assert automatic_mail_claim(recipient="busy@x.test", ticket_id=one.pk, kind=AutomaticMailKind.NOTICE) == ""
    assert "per ticket" in automatic_mail_blocked(
        recipient="busy@x.test", ticket_id=one.pk, kind=AutomaticMailKind.NOTICE
    )
    for _ in range(20):
        other = make_ticket(requester=contact)
        assert automatic_mail_claim(recipient="busy@x.test", ticket_id=other.pk, kind=AutomaticMailKind.NOTICE) == ""
    assert "30 automatic mails" in automatic_mail_blocked(recipient="busy@x.test", kind=AutomaticMailKind.NOTICE)
    assert automatic_mail_blocked(recipient="noreply@x.test", kind=AutomaticMailKind.NOTICE) != ""
    assert automatic_mail_blocked(recipient="support@example.test", kind=AutomaticMailKind.NOTICE) != ""


# 1 (c): no attacker text in an acknowledgement -------------------------------------------------------------


def test_the_verdict_comes_from_the_topmost_header_of_our_own_server_only():
    fail = f"{OURS}; spf=fail smtp.mailfrom=bank.test; dkim=none; dmarc=fail (p=reject) header.from=bank.test"
    forged_pass = f"{OURS}; dkim=pass header.d=bank.test; dmarc=pass header.from=bank.test"
    assert auth_verdict([fail, forged_pass], from_domain="bank.test", trusted=[OURS]).verdict == "fail"
    assert auth_verdict([forged_pass], from_domain="bank.test", trusted=[OURS]).verdict == "pass"
    # A header from another host (first, because ours added none) says nothing.
    assert (
        auth_verdict(["evil.test; dmarc=pass header.from=bank.test"], from_domain="bank.test", trusted=[OURS]).verdict
        == ""
    )
    assert auth_verdict([forged_pass], from_domain="bank.test", trusted=[]).verdict == ""
    # DKIM signed by someone else does not authenticate the From domain; an aligned one does.
    other = f"{OURS}; dkim=pass header.d=mailer.test; spf=softfail smtp.mailfrom=mailer.test"
    assert auth_verdict([other], from_domain="bank.test", trusted=[OURS]).verdict == "fail"
    aligned = f"{OURS}; dkim=pass header.d=bank.test; spf=fail smtp.mailfrom=list.test"
    assert auth_verdict([aligned], from_domain="mail.bank.test", trusted=[OURS]).verdict == "pass"
    assert (
        auth_verdict([f"{OURS}; spf=none smtp.mailfrom=x.test"], from_domain="x.test", trusted=[OURS]).verdict == "none"
    )
    assert auth_verdict([f"{OURS}; garbage ;;; =="], from_domain="x.test", trusted=[OURS]).verdict == "none"


def test_an_acknowledgement_for_a_sender_who_failed_authentication_carries_no_attacker_text(
    trusted, mailbox, mailoutbox, django_capture_on_commit_callbacks
):
    spam = "BUY CHEAP PILLS http://evil.test"
    header = f"Authentication-Results: {OURS}; spf=fail smtp.mailfrom=bank.test; dmarc=fail header.from=bank.test\r\n"
    forged = f"Authentication-Results: {OURS}; dmarc=pass header.from=bank.test\r\n"  # below ours: ignored
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_ingest(
            raw=raw_mail(
                mid="forged@bank.test", frm=f'"{spam}" <victim@bank.test>', subject=spam, extra=header + forged
            ),
            mailbox=mailbox,
        )
    [ack] = acks(mailoutbox)
    assert spam not in ack.subject and spam not in ack.body and "PILLS" not in ack.subject + ack.body
    number = Ticket.objects.get(pk=result.ticket_id).number
    assert ack.subject == f"[#{number}] We received your request" and ack.body.startswith("Hello,")
    row = InboundMail.objects.get(message_key="forged@bank.test")
    assert row.auth_verdict == "fail" and "dmarc=fail" in row.auth_summary
    # A sender our server authenticated is quoted as before.
    ok = f"Authentication-Results: {OURS}; dkim=pass header.d=acme.test; dmarc=pass header.from=acme.test\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        inbound_ingest(
            raw=raw_mail(mid="real@acme.test", frm="Anna <anna@acme.test>", subject="Printer", extra=ok),
            mailbox=mailbox,
        )
    assert acks(mailoutbox)[-1].subject.endswith("We received your request: Printer")
    assert InboundMail.objects.get(message_key="real@acme.test").auth_verdict == "pass"


def test_a_webhook_providers_failed_verdict_leaves_the_subject_out(
    mailbox, mailoutbox, django_capture_on_commit_callbacks
):
    from anymail.inbound import AnymailInboundMessage
    from anymail.signals import AnymailInboundEvent

    from supportloop.mail.signals import handle_inbound

    message = AnymailInboundMessage.parse_raw_mime_bytes(
        raw_mail(mid="ses@bank.test", frm="victim@bank.test", subject="FREE MONEY")
    )
    receipt = {
        "receipt": {
            "spfVerdict": {"status": "FAIL"},
            "dkimVerdict": {"status": "GRAY"},
            "dmarcVerdict": {"status": "FAIL"},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        handle_inbound(
            sender=None,
            event=AnymailInboundEvent(event_type="inbound", message=message, esp_event=receipt),
            esp_name="Amazon SES",
        )
    [ack] = acks(mailoutbox)
    assert "FREE MONEY" not in ack.subject + ack.body
    assert InboundMail.objects.get(message_key="ses@bank.test").auth_verdict == "fail"


# 2: forged Cc ------------------------------------------------------------------------------------------------


@pytest.fixture
def ticket(mailbox):
    return Ticket.objects.get(
        pk=inbound_ingest(raw=raw_mail(mid="root@acme.test", subject="Invoice"), mailbox=mailbox).ticket_id
    )


def test_a_forged_cc_by_subject_token_adds_no_follower_and_the_next_reply_is_not_copied(
    ticket, mailbox, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    forged = raw_mail(
        mid="forged@evil.test", subject=f"Re: Invoice [#{ticket.number}]", extra="Cc: attacker@evil.test\r\n"
    )
    result = inbound_ingest(raw=forged, mailbox=mailbox)
    ticket.refresh_from_db()
    assert result.outcome == "threaded" and ticket.followers == []
    assert not FollowerProposal.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=make_user("agent"), body="Your invoice is attached.")
    [sent] = [m for m in mailoutbox if "Your invoice" in m.body]
    assert "attacker@evil.test" not in sent.to + sent.cc


def test_a_plus_address_reply_adds_no_follower(ticket, mailbox):
    inbound_ingest(
        raw=raw_mail(
            mid="plus@acme.test", to=f"support+{ticket.number}@example.test", extra="Cc: attacker@evil.test\r\n"
        ),
        mailbox=mailbox,
    )
    ticket.refresh_from_db()
    assert ticket.followers == [] and not FollowerProposal.objects.exists()


def test_cc_on_a_reply_by_message_id_is_proposed_and_an_agent_accepts_or_dismisses_it(
    ticket, mailbox, make_user, mailoutbox
):
    inbound_ingest(
        raw=raw_mail(
            mid="r1@acme.test",
            extra="In-Reply-To: <root@acme.test>\r\n",
            to="support@example.test, Dan <dan@acme.test>",
            body="adding Dan and Eve",
        ).replace(b"Subject:", b"Cc: eve@other.test\r\nSubject:"),
        mailbox=mailbox,
    )
    ticket.refresh_from_db()
    assert ticket.followers == []
    proposals = {p.email: p for p in FollowerProposal.objects.filter(ticket=ticket)}
    assert set(proposals) == {"dan@acme.test", "eve@other.test"}
    assert Event.objects.filter(verb="ticket.follower_proposed", target_id=str(ticket.pk)).count() == 2
    agent = make_user("agent")
    follower_proposal_accept(proposal=proposals["dan@acme.test"], actor=agent)
    follower_proposal_dismiss(proposal=proposals["eve@other.test"], actor=agent)
    ticket.refresh_from_db()
    assert ticket.followers == ["dan@acme.test"]
    verbs = list(
        Event.objects.filter(target_id=str(ticket.pk), verb__startswith="ticket.follower_").values_list(
            "verb", flat=True
        )
    )
    assert sorted(verbs) == [
        "ticket.follower_accepted",
        "ticket.follower_dismissed",
        "ticket.follower_proposed",
        "ticket.follower_proposed",
    ]
    # A dismissed address is not proposed again by the next mail.
    inbound_ingest(
        raw=raw_mail(mid="r2@acme.test", extra="In-Reply-To: <r1@acme.test>\r\nCc: eve@other.test\r\n"), mailbox=mailbox
    )
    assert FollowerProposal.objects.filter(email="eve@other.test").count() == 1


def test_cc_from_a_sender_whose_domain_authenticated_is_added_at_once(trusted, ticket, mailbox):
    ok = f"Authentication-Results: {OURS}; dkim=pass header.d=acme.test; dmarc=pass header.from=acme.test\r\n"
    inbound_ingest(
        raw=raw_mail(mid="r3@acme.test", extra=ok + "In-Reply-To: <root@acme.test>\r\nCc: dan@acme.test\r\n"),
        mailbox=mailbox,
    )
    ticket.refresh_from_db()
    assert ticket.followers == ["dan@acme.test"] and not FollowerProposal.objects.exists()
    assert Event.objects.filter(verb="ticket.follower_added", target_id=str(ticket.pk)).count() == 1


def test_cc_on_a_new_unauthenticated_ticket_is_proposed_not_added(mailbox):
    result = inbound_ingest(raw=raw_mail(mid="new@acme.test", extra="Cc: attacker@evil.test\r\n"), mailbox=mailbox)
    assert Ticket.objects.get(pk=result.ticket_id).followers == []
    assert list(FollowerProposal.objects.values_list("email", flat=True)) == ["attacker@evil.test"]


def test_the_ticket_page_shows_a_proposal_that_one_click_accepts(ticket, mailbox, make_user, client):
    inbound_ingest(
        raw=raw_mail(mid="r4@acme.test", extra="In-Reply-To: <root@acme.test>\r\nCc: dan@acme.test\r\n"),
        mailbox=mailbox,
    )
    proposal = FollowerProposal.objects.get()
    client.force_login(make_user("agent"))
    page = client.get(f"/t/{ticket.number}/").content.decode()
    assert "dan@acme.test" in page and f"/t/{ticket.number}/followers/{proposal.pk}/accept/" in page
    response = client.post(f"/t/{ticket.number}/followers/{proposal.pk}/accept/")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.followers == ["dan@acme.test"]
    page = client.get(f"/t/{ticket.number}/").content.decode()
    assert "ticket.follower_accepted" in page
    response = client.post(f"/t/{ticket.number}/followers/remove/", {"email": "dan@acme.test"})
    ticket.refresh_from_db()
    assert response.status_code == 302 and ticket.followers == []
    assert Event.objects.filter(verb="ticket.follower_removed", target_id=str(ticket.pk)).count() == 1
    viewer = make_user("viewer")
    client.force_login(viewer)
    assert client.post(f"/t/{ticket.number}/followers/{proposal.pk}/dismiss/").status_code == 403


# 3: machines ---------------------------------------------------------------------------------------------------

MACHINES = {
    # name: (raw extras, expected outcome for new mail, quarantine reason)
    "noreply": (dict(frm="noreply@shop.test"), "ticket", ""),
    "no-reply": (dict(frm="no-reply@shop.test"), "ticket", ""),
    "do-not-reply": (dict(frm="Do-Not-Reply@shop.test"), "ticket", ""),
    "donotreply": (dict(frm="donotreply@shop.test"), "ticket", ""),
    "no_reply_suffixed": (dict(frm="no_reply-aws@shop.test"), "ticket", ""),
    "bounces": (dict(frm="bounces+abc=x.test@mailer.test"), "ticket", ""),
    "ses_notice": (dict(frm="complaints@email-abuse.amazonses.com", subject="Complaint"), "quarantined", "machine"),
    "arf": (
        dict(
            ctype='multipart/report; report-type=feedback-report; boundary="b"',
            body="--b\r\nContent-Type: text/plain\r\n\r\nabuse report\r\n--b\r\n"
            "Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n--b--",
            frm="fbl@isp.test",
        ),
        "quarantined",
        "machine",
    ),
    "ooo_en": (dict(subject="Automatic reply: Hello"), "quarantined", "auto_reply"),
    "ooo_out_of_office": (dict(subject="Out of Office"), "quarantined", "auto_reply"),
    "ooo_de": (dict(subject="Abwesenheitsnotiz: Hello"), "quarantined", "auto_reply"),
    "ooo_zh": (dict(subject="自动回复: 您好"), "quarantined", "auto_reply"),
    "ooo_ru": (dict(subject="Автоответ: Здравствуйте"), "quarantined", "auto_reply"),
    "ooo_fr": (dict(subject="Réponse automatique : Bonjour"), "quarantined", "auto_reply"),
    "ooo_es": (dict(subject="Respuesta automática: Hola"), "quarantined", "auto_reply"),
    "x_autoreply": (dict(extra="X-Autoreply: yes\r\n"), "quarantined", "auto_reply"),
    "x_autorespond": (dict(extra="X-Autorespond: yes\r\n"), "quarantined", "auto_reply"),
    "null_return_path": (dict(extra="Return-Path: <>\r\n"), "quarantined", "auto_reply"),
    "exchange_rule": (
        dict(extra="X-Auto-Response-Suppress: All\r\nX-MS-Exchange-Inbox-Rules-Loop: a@acme.test\r\n"),
        "quarantined",
        "auto_reply",
    ),
    "read_receipt": (
        dict(
            ctype='multipart/report; report-type=disposition-notification; boundary="b"',
            body="--b\r\nContent-Type: text/plain\r\n\r\nRead\r\n--b--",
        ),
        "quarantined",
        "auto_reply",
    ),
    "x_auto_response_suppress": (dict(extra="X-Auto-Response-Suppress: OOF\r\n"), "ticket", ""),
    "x_loop_any": (dict(extra="X-Loop: helpdesk@vendor.test\r\n"), "ticket", ""),
    "x_loop_yes": (dict(extra="X-Loop: yes\r\n"), "ticket", ""),
    "default_from_email": (dict(frm="robot@support.test"), "quarantined", "own_address"),
    "close_the_loop_sender": (dict(frm="news@product.test"), "quarantined", "own_address"),
}


@pytest.fixture
def own_senders(settings):
    from supportloop.feedback.models import FeedbackSettings

    settings.DEFAULT_FROM_EMAIL = "Support Robot <robot@support.test>"
    FeedbackSettings.objects.update_or_create(pk=1, defaults={"notice_from_email": "news@product.test"})


@pytest.mark.parametrize("kind", sorted(MACHINES))
def test_machine_mail_never_gets_an_acknowledgement(
    kind, own_senders, mailbox, mailoutbox, django_capture_on_commit_callbacks
):
    extras, outcome, reason = MACHINES[kind]
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_ingest(raw=raw_mail(mid=f"{kind}@m.test", **extras), mailbox=mailbox)
    assert (result.outcome, result.reason) == (outcome, reason)
    assert acks(mailoutbox) == [] and not AutoResponse.objects.filter(sent_at__isnull=False).exists()
    row = InboundMail.objects.get(message_key=f"{kind}@m.test")
    assert row.automatic or (row.outcome, reason) == ("quarantined", "own_address")


@pytest.mark.parametrize("status", [Status.SOLVED, Status.CLOSED])
@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Invoice",
        "Out of Office: Invoice",
        "Abwesenheitsnotiz",
        "自动回复：Invoice",
        "Автоответ: Invoice",
    ],
)
def test_an_out_of_office_never_reopens_a_solved_or_closed_ticket(subject, status, ticket, mailbox):
    ticket_update(ticket=ticket, actor=None, status=status)
    result = inbound_ingest(
        raw=raw_mail(mid="ooo@acme.test", subject=subject, extra="In-Reply-To: <root@acme.test>\r\n"), mailbox=mailbox
    )
    ticket.refresh_from_db()
    assert result.outcome == "threaded" and result.ticket_id == ticket.pk and ticket.status == status


def test_a_noreply_notice_on_a_solved_ticket_does_not_reopen_it(ticket, mailbox):
    ticket_update(ticket=ticket, actor=None, status=Status.SOLVED)
    inbound_ingest(
        raw=raw_mail(mid="nr@shop.test", frm="noreply@shop.test", extra="In-Reply-To: <root@acme.test>\r\n"),
        mailbox=mailbox,
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.message_count == 2


def test_a_customer_subject_that_merely_mentions_absence_is_a_ticket(mailbox):
    for i, subject in enumerate(["Absence management question", "Out of office hours support?", "Urlaub buchen"]):
        assert inbound_ingest(raw=raw_mail(mid=f"h{i}@acme.test", subject=subject), mailbox=mailbox).outcome == "ticket"


# 5: one Message-ID, two messages ------------------------------------------------------------------------------


def test_a_different_message_reusing_a_message_id_is_stored_with_a_note(mailbox):
    first = inbound_ingest(
        raw=raw_mail(mid="reused@mailer.test", frm="a@shop.test", subject="Order 1"), mailbox=mailbox
    )
    second = inbound_ingest(
        raw=raw_mail(mid="reused@mailer.test", frm="a@shop.test", subject="Order 2", body="Other"), mailbox=mailbox
    )
    assert (first.outcome, second.outcome) == ("ticket", "ticket") and first.ticket_id != second.ticket_id
    row = InboundMail.objects.get(ticket_id=second.ticket_id)
    assert row.message_key.startswith("reused@mailer.test sha256:") and "reused" in row.note
    assert Message.objects.get(pk=second.message_id).body_text == "Other"
    assert Event.objects.filter(verb="mail.message_id_reused", target_id=str(second.ticket_id)).count() == 1


def test_a_redelivery_with_other_trace_headers_is_skipped_with_a_ledger_row(mailbox):
    raw = raw_mail(mid="again@acme.test", subject="Once")
    inbound_ingest(raw=b"Received: from a by b; Mon, 1 Jan 2026\r\n" + raw, mailbox=mailbox)
    again = inbound_ingest(
        raw=b"Received: from c by d; Tue, 2 Jan 2026\r\nDelivered-To: x@y.test\r\n" + raw,
        mailbox=mailbox,
        source=InboundSource.WEBHOOK,
    )
    assert again.outcome == "duplicate" and Ticket.objects.count() == 1
    skip = InboundMail.objects.get(outcome="duplicate")
    assert skip.message_key == "again@acme.test" and "redelivery" in skip.note and skip.source == "webhook"
    assert parse_message(raw).content_digest == skip.content_digest


def test_the_batch_path_stores_a_reused_id_and_records_a_skip_like_one_by_one(mailbox):
    from supportloop.mail.services.inbound_batch import inbound_ingest_batch
    from supportloop.mail.threader import our_addresses

    inbound_ingest(raw=raw_mail(mid="b1@acme.test", subject="One"), mailbox=mailbox)
    results = inbound_ingest_batch(
        [
            (1, raw_mail(mid="b1@acme.test", subject="One")),
            (2, raw_mail(mid="b1@acme.test", subject="Two", body="different")),
            (3, raw_mail(mid="b3@acme.test", subject="Three")),
        ],
        mailbox=mailbox,
        source=InboundSource.IMAP,
        ours=our_addresses(),
    )
    assert [r.outcome for r in results] == ["duplicate", "ticket", "ticket"]
    assert InboundMail.objects.filter(outcome="duplicate", imap_uid=1).count() == 1
    assert InboundMail.objects.get(imap_uid=2).note


def test_the_mail_api_lists_the_ledger_with_skips_for_admins(api_client, mailbox):
    inbound_ingest(raw=raw_mail(mid="api@acme.test"), mailbox=mailbox)
    inbound_ingest(raw=raw_mail(mid="api@acme.test"), mailbox=mailbox)
    assert api_client(role="agent").get("mail/inbound").status_code == 403
    body = api_client(role="admin").get("mail/inbound", {"outcome": "duplicate"}).json()
    assert body["count"] == 1 and body["items"][0]["message_key"] == "api@acme.test"
    assert "redelivery" in body["items"][0]["note"]


# 22: release to a chosen contact -------------------------------------------------------------------------------


def test_quarantined_mail_without_a_sender_is_released_to_a_chosen_contact(mailbox, make_user, api_client):
    raw = b"To: support@example.test\r\nSubject: Who am I\r\nMessage-ID: <anon@x.test>\r\n\r\nHelp\r\n"
    row = Quarantine.objects.get(pk=inbound_ingest(raw=raw, mailbox=mailbox).quarantine_id)
    assert row.reason == QuarantineReason.NO_SENDER
    contact = contact_create(emails=["known@acme.test"], name="Known")
    admin = api_client(role="admin")
    missing = admin.post(f"mail/quarantine/{row.pk}/release", {"contact_id": 999_999})
    assert missing.status_code == 422 and "contact_id" in missing.json()["errors"]
    released = admin.post(f"mail/quarantine/{row.pk}/release", {"contact_id": contact.pk})
    assert released.status_code == 200, released.content
    ticket = Ticket.objects.get(pk=released.json()["ticket_id"])
    assert ticket.requester == contact and ticket.subject == "Who am I"
    row.refresh_from_db()
    assert row.released_ticket_id == ticket.pk


def test_the_admin_releases_quarantined_mail_to_a_chosen_contact(mailbox, make_user, client):
    raw = b"From: not an address\r\nSubject: Anon\r\nMessage-ID: <anon2@x.test>\r\n\r\nHelp\r\n"
    row = Quarantine.objects.get(pk=inbound_ingest(raw=raw, mailbox=mailbox).quarantine_id)
    contact = contact_create(emails=["chosen@acme.test"])
    admin = make_user("admin")
    client.force_login(admin)
    url = f"/admin/mail/quarantine/{row.pk}/release/"
    assert "contact" in client.get(url).content.decode()
    response = client.post(url, {"contact": contact.pk})
    assert response.status_code == 302
    row.refresh_from_db()
    assert Ticket.objects.get(pk=row.released_ticket_id).requester == contact
