"""Surveys: scheduling on solve, sending with the throttle, signed single-use links, changing an answer, the
contact's language, and the bad-rating flow (in-app and mail alerts) through to feedback evidence."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.services import team_create
from supportloop.automation.models import Notification
from supportloop.automation.services.notifications import unread_count
from supportloop.core.errors import ValidationFailed
from supportloop.core.models import Event
from supportloop.feedback.models import Evidence, FeedbackItem
from supportloop.surveys.choices import BadRatingStatus, SendStatus, SurveyKind
from supportloop.surveys.models import BadRating, SurveyResponse, SurveySend, SurveySettings
from supportloop.surveys.services import (
    SurveyLinkRefused,
    bad_rating_handle,
    nps_schedule_due,
    survey_answer,
    survey_send_for_token,
    survey_sends_deliver_due,
    survey_settings_update,
    token_digest,
)
from supportloop.surveys.services.sending import LINK_SECRET_CHARS
from supportloop.tickets import hooks
from supportloop.tickets.models import ContactReason
from supportloop.tickets.services import ticket_update

LATER = timedelta(hours=2)  # past the default 60-minute CSAT delay


_commit = {}


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    """Writes here commit at once as in production: the listener, enqueues and alerts run after each one."""
    _commit["capture"] = django_capture_on_commit_callbacks


def committed(fn, **kwargs):
    with _commit["capture"](execute=True):
        return fn(**kwargs)


def _solve(ticket, actor=None):
    return committed(ticket_update, ticket=ticket, actor=actor, status="solved")


def _reopen(ticket):
    return committed(ticket_update, ticket=ticket, actor=None, status="open")


def answer(**kwargs):
    return committed(survey_answer, **kwargs)


def _links(message) -> dict[int, str]:
    """score -> token from the text part of a survey mail."""
    return {int(s): t for t, s in re.findall(r"/surveys/r/([A-Za-z0-9_-]+)/\?s=(\d+)", message.body)}


def _altered(token: str, at: int = -1) -> str:
    """The token with one character changed (never to itself)."""
    char = "B" if token[at] == "A" else "A"
    index = at % len(token)
    return token[:index] + char + token[index + 1 :]


def _deliver(now=None):
    mail.outbox.clear()
    return survey_sends_deliver_due(now=now or timezone.now() + LATER)


@pytest.fixture
def solved(make_ticket):
    ticket = make_ticket(subject="Export fails")
    _solve(ticket)
    return ticket


def test_solving_a_ticket_schedules_one_csat_after_the_delay(make_ticket):
    ticket = make_ticket()
    before = timezone.now()
    _solve(ticket)
    send = SurveySend.objects.get(ticket=ticket)
    assert send.kind == SurveyKind.CSAT and send.status == SendStatus.SCHEDULED
    assert send.scheduled_for >= before + timedelta(minutes=60)
    assert send.contact_id == ticket.requester_id
    # Nothing goes before the delay has passed.
    assert survey_sends_deliver_due(now=timezone.now()) == {}
    # Reopened and solved again: still one survey for the ticket.
    _reopen(ticket)
    _solve(ticket)
    assert SurveySend.objects.filter(ticket=ticket).count() == 1
    assert Event.objects.filter(verb="survey.scheduled", target_id=str(ticket.pk)).count() == 1


def test_the_mail_has_a_link_per_score_and_only_the_digest_is_stored(solved):
    assert _deliver() == {"sent": 1}
    (message,) = mail.outbox
    links = _links(message)
    assert sorted(links) == [0, 1]  # good/bad scale
    send = SurveySend.objects.get(ticket=solved)
    assert send.status == SendStatus.SENT and send.sent_at is not None
    token = links[1]
    assert token not in (send.token_hash or "") and len(send.token_hash) == 64
    # The URL carries the secret and its signature; the row stores the digest of the secret alone.
    assert send.token_hash == token_digest(token[:LINK_SECRET_CHARS]) != token_digest(token)
    assert len({t[:LINK_SECRET_CHARS] for t in links.values()}) == 1  # one link, a score per URL
    assert message.alternatives and "href" in message.alternatives[0][0]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_the_mail_is_in_the_contacts_language(make_contact, make_ticket):
    ru = make_contact("Ольга", language="ru")
    zh = make_contact("李", language="zh-CN")
    _solve(make_ticket(requester=ru))
    _solve(make_ticket(requester=zh))
    _deliver()
    by_to = {m.to[0]: m for m in mail.outbox}
    # The headers here; the translated text itself: test_the_mail_and_the_answer_page_read_in_the_contacts_language.
    assert by_to[ru.primary_email].extra_headers["Content-Language"] == "ru"
    assert by_to[zh.primary_email].extra_headers["Content-Language"] == "zh-hans"
    assert SurveySend.objects.get(contact=zh).language == "zh-hans"
    assert SurveySend.objects.get(contact=ru).language == "ru"


def test_throttle_lets_one_survey_per_contact_in_the_period(make_contact, make_ticket):
    ann = make_contact("Ann")
    first, second = make_ticket(requester=ann), make_ticket(requester=ann)
    _solve(first)
    _solve(second)
    assert _deliver() == {"sent": 1, "skipped": 1}
    assert len(mail.outbox) == 1
    skipped = SurveySend.objects.get(status=SendStatus.SKIPPED)
    assert "throttled" in skipped.error
    # Past the period a new ticket's survey goes again.
    survey_settings_update(actor=None, throttle_days=0)
    third = make_ticket(requester=ann)
    _solve(third)
    assert _deliver() == {"sent": 1}


def test_ces_replaces_csat_for_the_chosen_contact_reasons(make_ticket):
    reason = ContactReason.objects.create(name="How do I", slug="how-do-i")
    survey_settings_update(actor=None, ces_enabled=True, ces_contact_reasons=["how-do-i"])
    ticket = make_ticket(contact_reason=reason)
    _solve(ticket)
    other = make_ticket()
    _solve(other)
    assert SurveySend.objects.get(ticket=ticket).kind == SurveyKind.CES
    assert SurveySend.objects.get(ticket=other).kind == SurveyKind.CSAT
    _deliver()
    ces_mail = next(m for m in mail.outbox if m.to[0] == ticket.requester.primary_email)
    assert sorted(_links(ces_mail)) == list(range(1, 8))


def test_nps_goes_to_contacts_on_the_schedule(make_ticket):
    a = make_ticket()
    make_ticket()
    assert nps_schedule_due() == 0  # off by default
    survey_settings_update(actor=None, nps_enabled=True, nps_interval_days=90)
    assert nps_schedule_due() == 2
    assert nps_schedule_due() == 0  # not again within the interval
    assert _deliver(timezone.now()) == {"sent": 2}
    assert sorted(_links(mail.outbox[0])) == list(range(11))
    # A later run past the interval surveys them again.
    assert nps_schedule_due(now=timezone.now() + timedelta(days=91)) == 2
    assert SurveySend.objects.filter(contact=a.requester, kind=SurveyKind.NPS).count() == 2


def test_clicking_a_score_records_it_without_login_then_the_form_closes_the_link(solved):
    _deliver()
    links = _links(mail.outbox[0])
    client = Client(enforce_csrf_checks=True)  # no cookie, no CSRF token: the link's token is the credential
    page = client.get(f"/surveys/r/{links[1]}/?s=1")
    assert page.status_code == 200
    response = SurveyResponse.objects.get()
    solved.refresh_from_db()
    assert (response.score, response.sentiment, response.ticket_id) == (1, "good", solved.pk)
    assert response.solved_at == solved.solved_at
    # The form: a comment; the link is then used up.
    done = Client(enforce_csrf_checks=True).post(f"/surveys/r/{links[1]}/", {"score": "1", "comment": "Quick and kind"})
    assert done.status_code == 200
    response.refresh_from_db()
    assert response.comment == "Quick and kind"
    assert Event.objects.filter(verb="survey.link_used", target_id=str(response.send_id)).count() == 1
    again = client.get(f"/surveys/r/{links[0]}/?s=0")
    assert again.status_code == 410 and b"Nothing was recorded" in again.content
    response.refresh_from_db()
    assert response.score == 1 and SurveyResponse.objects.count() == 1


def test_a_head_request_or_a_second_prefetched_score_records_nothing_more(solved):
    _deliver()
    links = _links(mail.outbox[0])
    client = Client()
    client.head(f"/surveys/r/{links[0]}/?s=0")
    assert not SurveyResponse.objects.exists()
    client.get(f"/surveys/r/{links[1]}/?s=1")
    client.get(f"/surveys/r/{links[0]}/?s=0")  # a scanner opening every link: the first answer stands
    assert SurveyResponse.objects.get().score == 1


def test_answering_again_changes_the_answer_audited_never_a_second_response(solved):
    _deliver()
    token = _links(mail.outbox[0])[1]
    answer(raw=token, score=1)
    answer(raw=token, score=0, comment="Actually it came back")
    response = SurveyResponse.objects.get()
    assert (response.score, response.changes) == (0, 1)
    changed = Event.objects.get(verb="survey.answer_changed")
    assert changed.changes["score"] == [1, 0]
    assert changed.target_id == str(response.pk)


def test_an_answer_and_a_changed_score_are_rated_events_for_the_ticket(solved, monkeypatch):
    heard = []
    monkeypatch.setattr(hooks, "ticket_event_listeners", [heard.append])
    _deliver()
    token = _links(mail.outbox[0])[1]
    answer(raw=token, score=1)
    answer(raw=token, score=1, comment="Same score, a comment")  # no new rating
    answer(raw=token, score=0)
    rated = [e for e in heard if e.kind == hooks.TicketEventKind.RATED]
    assert [(e.ticket_id, e.changes["score"], e.source) for e in rated] == [
        (solved.pk, [None, 1], "survey"),
        (solved.pk, [1, 0], "survey"),
    ]
    assert rated[0].changes["survey"] == [None, "csat"]


def test_forged_expired_and_out_of_range_links_record_nothing(solved):
    _deliver()
    token = _links(mail.outbox[0])[1]
    client = Client()
    forged = client.get("/surveys/r/not-a-real-token/?s=1")
    assert forged.status_code == 404 and b"not valid" in forged.content
    tampered = client.get(f"/surveys/r/{_altered(token)}/?s=1")
    assert tampered.status_code == 404 and b"not valid" in tampered.content
    out_of_range = client.get(f"/surveys/r/{token}/?s=7")
    assert out_of_range.status_code == 422
    with pytest.raises(ValidationFailed):
        answer(raw=token, score="-1")
    assert not SurveyResponse.objects.exists()
    with pytest.raises(SurveyLinkRefused) as refused:
        answer(raw=token, score=1, now=timezone.now() + timedelta(days=15))
    assert refused.value.reason == "expired"
    assert not SurveyResponse.objects.exists()


def test_bad_csat_alerts_the_team_lead_and_a_product_issue_links_evidence(make_user, make_ticket, make_item):
    lead = make_user(Role.LEAD, username="lead")
    make_user(Role.LEAD, username="other-lead")
    team = team_create(name="Billing", slug="billing", members=[lead])
    ticket = make_ticket(team=team)
    _solve(ticket)
    _deliver()
    token = _links(mail.outbox[0])[0]
    mail.outbox.clear()
    answer(raw=token, score=0, comment="Export still broken")
    bad = BadRating.objects.get()
    assert bad.status == BadRatingStatus.OPEN and bad.team_id == team.pk
    opened = Event.objects.get(verb="survey.bad_rating_opened")
    assert opened.changes["leads"] == [None, [lead.pk]]
    assert [m.to for m in mail.outbox] == [["lead@staff.example"]]
    # The lead picks "product issue" and links the ticket to an item: it becomes evidence.
    item = make_item("Export to Excel")
    bad_rating_handle(bad_rating=bad, actor=lead, reason="product", feedback_item=item, note="Known bug")
    bad.refresh_from_db()
    assert (bad.status, bad.reason, bad.handled_by_id, bad.feedback_item_id) == ("handled", "product", lead.pk, item.pk)
    evidence = Evidence.objects.get(item=item)
    assert evidence.ticket_id == ticket.pk and evidence.quote == "Export still broken"
    assert Event.objects.filter(verb="survey.bad_rating_handled", target_id=str(bad.pk)).exists()
    with pytest.raises(ValidationFailed):
        bad_rating_handle(bad_rating=bad, actor=lead, reason="support", feedback_item=item)


def test_a_bad_score_changed_to_good_withdraws_the_bad_rating(solved):
    _deliver()
    token = _links(mail.outbox[0])[0]
    answer(raw=token, score=0)
    answer(raw=token, score=1)
    assert BadRating.objects.get().status == BadRatingStatus.WITHDRAWN
    answer(raw=token, score=0)
    assert BadRating.objects.get().status == BadRatingStatus.OPEN
    assert BadRating.objects.count() == 1


def test_bad_ratings_page_is_for_leads_and_records_the_reason(client, make_user, solved, django_assert_max_num_queries):
    _deliver()
    answer(raw=_links(mail.outbox[0])[0], score=0, comment="Slow")
    bad = BadRating.objects.get()
    agent = make_user(Role.AGENT)
    client.force_login(agent)
    assert client.get("/surveys/bad-ratings/").status_code == 403
    lead = make_user(Role.LEAD)
    client.force_login(lead)
    with django_assert_max_num_queries(12):  # session, user, teams, the list in one query, the layout's own
        page = client.get("/surveys/bad-ratings/")
    assert page.status_code == 200 and b"Slow" in page.content
    assert b'href="/reports/" aria-current="page"' in page.content  # under the leads' Reports menu entry
    client.post(f"/surveys/bad-ratings/{bad.pk}/", {"reason": "support", "note": "Coaching"})
    bad.refresh_from_db()
    assert (bad.status, bad.reason, bad.note) == ("handled", "support", "Coaching")


def test_settings_refuse_values_out_of_range(db):
    with pytest.raises(ValidationFailed) as err:
        survey_settings_update(actor=None, csat_scale="stars", throttle_days=-1, ces_contact_reasons=["nope"])
    assert set(err.value.errors) == {"csat_scale", "throttle_days", "ces_contact_reasons"}


def test_a_machine_address_is_never_surveyed(make_ticket):
    ticket = make_ticket(requester_email="no-reply@vendor.example")
    _solve(ticket)
    assert _deliver() == {"skipped": 1}
    send = SurveySend.objects.get(ticket=ticket)
    assert send.status == SendStatus.SKIPPED and send.error and send.token_hash is None
    assert not mail.outbox


def test_a_failed_send_is_tried_again_later_with_a_new_link(solved, monkeypatch):
    def broken(self, fail_silently=False):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    assert _deliver() == {"retrying": 1}
    send = SurveySend.objects.get(ticket=solved)
    assert (send.status, send.attempts, send.token_hash) == (SendStatus.SCHEDULED, 1, None)
    assert "SMTP down" in send.error
    monkeypatch.undo()
    assert _deliver(send.scheduled_for) == {"sent": 1}
    send.refresh_from_db()
    assert send.status == SendStatus.SENT and send.attempts == 2 and send.token_hash


def test_a_survey_not_sent_before_its_link_would_expire_is_dropped(solved):
    assert _deliver(timezone.now() + timedelta(days=30)) == {"skipped": 1}
    assert "expired" in SurveySend.objects.get(ticket=solved).error


def test_the_page_without_a_score_records_nothing_and_a_bad_form_score_is_refused(solved):
    _deliver()
    token = _links(mail.outbox[0])[1]
    client = Client()
    page = client.get(f"/surveys/r/{token}/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    refused = client.post(f"/surveys/r/{token}/", {"score": "9", "comment": "x"})
    assert refused.status_code == 422
    assert not SurveyResponse.objects.exists()
    assert SurveySend.objects.get(ticket=solved).closed_at is None


def test_the_ticket_page_reads_the_survey_events(client, make_user, solved):
    _deliver()
    client.force_login(make_user(Role.AGENT))
    page = client.get(f"/t/{solved.number}/")
    assert page.status_code == 200
    assert Event.objects.filter(verb="survey.sent", target_id=str(solved.pk)).exists()
    # A verb the timeline does not know yet reads as "<actor>: <verb in words>" (web/timeline.py).
    assert "surveys: sent" in page.content.decode()


def test_admins_change_survey_settings_on_their_page_and_leads_may_not(client, make_user):
    ContactReason.objects.create(name="How do I", slug="how-do-i")
    client.force_login(make_user(Role.LEAD))
    assert client.get("/settings/surveys/").status_code == 403
    client.force_login(make_user(Role.ADMIN))
    assert b"how-do-i" in client.get("/settings/surveys/").content
    form = {
        "csat_enabled": "on",
        "csat_delay_minutes": "15",
        "csat_scale": "five",
        "ces_enabled": "on",
        "ces_contact_reasons": ["how-do-i"],
        "nps_interval_days": "60",
        "throttle_days": "21",
        "link_valid_days": "7",
    }
    assert client.post("/settings/surveys/", form).status_code == 302
    cfg = SurveySettings.objects.get()
    assert (cfg.csat_delay_minutes, cfg.csat_scale, cfg.nps_enabled, cfg.throttle_days) == (15, "five", False, 21)
    assert list(cfg.ces_contact_reasons.values_list("slug", flat=True)) == ["how-do-i"]
    assert Event.objects.filter(verb="surveys.settings_updated").exists()
    refused = client.post("/settings/surveys/", {**form, "throttle_days": "-3"})
    assert refused.status_code == 200 and SurveySettings.objects.get().throttle_days == 21


def test_an_altered_signature_or_an_unsigned_secret_is_refused_without_a_query(solved):
    _deliver()
    token = _links(mail.outbox[0])[1]
    secret = token[:LINK_SECRET_CHARS]
    for forged in (_altered(token), _altered(token, at=0), secret, secret + "x" * 43, ""):
        # Not one query: the signature check refuses it before the database is asked.
        with CaptureQueriesContext(connection) as queries, pytest.raises(SurveyLinkRefused) as refused:
            survey_send_for_token(token=forged)
        assert refused.value.reason == "forged" and refused.value.send is None
        assert len(queries) == 0, forged
    assert survey_send_for_token(token=token).ticket_id == solved.pk
    page = Client().get(f"/surveys/r/{_altered(token)}/?s=1")
    assert page.status_code == 404 and b"Nothing was recorded" in page.content
    assert not SurveyResponse.objects.exists()


def test_a_bad_csat_notifies_the_team_lead_in_app_once_and_nobody_else(make_user, make_ticket):
    lead = make_user(Role.LEAD, username="lead")
    other_lead = make_user(Role.LEAD, username="other-lead")
    agent = make_user(Role.AGENT, username="agent")
    team = team_create(name="Billing", slug="billing", members=[lead, agent])
    ticket = make_ticket(team=team)
    _solve(ticket)
    _deliver()
    token = _links(mail.outbox[0])[0]
    assert unread_count(user_id=lead.pk) == 0  # warms the header's cached count
    answer(raw=token, score=0, comment="Still broken")
    answer(raw=token, score=0, comment="Still broken, really")  # a changed comment: no second alert
    (notice,) = Notification.objects.all()
    assert (notice.user_id, notice.ticket_id, notice.source) == (lead.pk, ticket.pk, "surveys")
    assert "/surveys/bad-ratings/" in notice.text and "CSAT" in notice.text
    assert unread_count(user_id=lead.pk) == 1  # the header's count was bumped after commit
    assert unread_count(user_id=other_lead.pk) == unread_count(user_id=agent.pk) == 0


def test_an_nps_detractor_lands_in_bad_ratings_and_alerts_every_lead(make_user, make_ticket):
    # An NPS has no ticket, so no team: bad_rating_leads alerts every active lead (docs/surveys.md, Bad ratings).
    first, second = make_user(Role.LEAD, username="lead-a"), make_user(Role.LEAD, username="lead-b")
    agent = make_user(Role.AGENT)
    make_ticket()
    survey_settings_update(actor=None, nps_enabled=True)
    assert nps_schedule_due() == 1
    _deliver(timezone.now())
    token = _links(mail.outbox[0])[6]
    mail.outbox.clear()
    answer(raw=token, score=6, comment="Too slow")  # 0-6: a detractor
    bad = BadRating.objects.get()
    assert (bad.status, bad.team_id, bad.response.kind, bad.response.ticket_id) == ("open", None, "nps", None)
    notified = Notification.objects.order_by("user_id")
    assert [(n.user_id, n.ticket_id) for n in notified] == [(first.pk, None), (second.pk, None)]
    assert "/surveys/bad-ratings/" in notified[0].text
    assert [sorted(m.to) for m in mail.outbox] == [["lead-a@staff.example", "lead-b@staff.example"]]
    assert not Notification.objects.filter(user=agent).exists()


def test_a_passive_nps_or_a_bad_ces_alerts_nobody(make_user, make_ticket):
    make_user(Role.LEAD)
    make_ticket()
    survey_settings_update(actor=None, nps_enabled=True)
    nps_schedule_due()
    _deliver(timezone.now())
    answer(raw=_links(mail.outbox[0])[7], score=7)
    assert not BadRating.objects.exists() and not Notification.objects.exists()


def test_the_throttle_holds_across_kinds_no_nps_soon_after_a_csat(make_contact, make_ticket):
    ann = make_contact("Ann")
    _solve(make_ticket(requester=ann))
    assert _deliver() == {"sent": 1}  # the CSAT, two hours from now
    survey_settings_update(actor=None, nps_enabled=True, nps_interval_days=7, throttle_days=30)
    day = timezone.now() + timedelta(days=1)
    assert nps_schedule_due(now=day) == 1
    assert _deliver(day) == {"skipped": 1}  # within 30 days of the CSAT
    assert "throttled" in SurveySend.objects.get(kind=SurveyKind.NPS).error
    assert not mail.outbox
    # Past the period (the CSAT went 2 hours from now; 31 days on is outside 30) the next NPS goes.
    later = timezone.now() + timedelta(days=31)
    assert nps_schedule_due(now=later) == 1
    assert _deliver(later) == {"sent": 1}
    assert mail.outbox[0].to == [ann.primary_email]
    assert sorted(_links(mail.outbox[0])) == list(range(11))


@pytest.mark.parametrize(
    ("language", "hello", "note", "page_heading"),
    [
        ("ru", "Здравствуйте", "Ваш ответ сохранится одним нажатием", "Спасибо за ваш ответ"),
        ("zh-CN", "您好", "只需点击一下即可记录您的回答", "感谢您的回答"),
    ],
)
def test_the_mail_and_the_answer_page_read_in_the_contacts_language(
    make_contact, make_ticket, language, hello, note, page_heading
):
    contact = make_contact("Ольга", language=language)
    _solve(make_ticket(requester=contact))
    _deliver()
    (message,) = mail.outbox
    # Strings from the .po files, in the text and the HTML part alike, not just the header.
    assert hello in message.body and note in message.body
    assert note in message.alternatives[0][0]
    # The page answers in the contact's language whatever the browser asks for.
    page = Client().get(f"/surveys/r/{_links(message)[1]}/?s=1", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and page_heading in page.content.decode()


def test_expired_and_used_pages_speak_the_contacts_language_and_a_forged_one_the_browsers(make_contact, make_ticket):
    olga = make_contact("Ольга", language="ru")
    _solve(make_ticket(requester=olga))
    _deliver()
    token = _links(mail.outbox[0])[1]
    browser = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    SurveySend.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = browser.get(f"/surveys/r/{token}/?s=1")
    assert expired.status_code == 410
    assert "Срок ответа на этот опрос истёк" in expired.content.decode() and 'lang="ru"' in expired.content.decode()
    SurveySend.objects.update(expires_at=timezone.now() + timedelta(days=1), closed_at=timezone.now())
    used = browser.get(f"/surveys/r/{token}/?s=1")
    assert used.status_code == 410 and "Вы уже ответили на этот опрос" in used.content.decode()
    forged = browser.get(f"/surveys/r/{_altered(token)}/?s=1")
    assert forged.status_code == 404 and "此调查链接无效" in forged.content.decode()


def test_an_expired_link_says_so_and_records_nothing(solved):
    _deliver()
    token = _links(mail.outbox[0])[1]
    SurveySend.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    events = Event.objects.count()
    client = Client()
    for page in (client.get(f"/surveys/r/{token}/?s=1"), client.post(f"/surveys/r/{token}/", {"score": "1"})):
        assert page.status_code == 410
        assert b"This survey has expired" in page.content and b"Nothing was recorded" in page.content
        assert page["Cache-Control"] == "no-store"
    assert not SurveyResponse.objects.exists() and not BadRating.objects.exists()
    assert Event.objects.count() == events
    assert SurveySend.objects.get().answered_at is None


def test_a_five_point_csat_mails_five_score_links_and_a_click_records_the_score(make_ticket):
    survey_settings_update(actor=None, csat_scale="five")
    ticket = make_ticket()
    _solve(ticket)
    _deliver()
    (message,) = mail.outbox
    links = _links(message)
    assert sorted(links) == [1, 2, 3, 4, 5]
    assert message.alternatives[0][0].count("/surveys/r/") == 5
    page = Client().get(f"/surveys/r/{links[4]}/?s=4")
    assert page.status_code == 200
    response = SurveyResponse.objects.get()
    assert (response.kind, response.scale, response.score, response.sentiment) == ("csat", "five", 4, "good")
    assert response.ticket_id == ticket.pk and not BadRating.objects.exists()


def test_a_product_issue_picked_from_the_list_links_the_ticket_as_evidence(client, make_user, solved, make_item):
    _deliver()
    answer(raw=_links(mail.outbox[0])[0], score=0, comment="Excel export broken")
    bad = BadRating.objects.get()
    item = make_item("Export to Excel")
    shipped = make_item("Dark mode")
    FeedbackItem.objects.filter(pk=shipped.pk).update(status="shipped")
    lead = make_user(Role.LEAD)
    client.force_login(lead)
    page = client.get("/surveys/bad-ratings/").content.decode()
    assert f'<option value="{item.pk}">FB-{item.pk} Export to Excel</option>' in page
    assert "Dark mode" not in page  # shipped: not offered
    # An unknown item: a clear message, nothing saved.
    refused = client.post(
        f"/surveys/bad-ratings/{bad.pk}/", {"reason": "product", "feedback_item": "99999"}, follow=True
    )
    assert "No feedback item 99999: nothing was saved." in refused.content.decode()
    bad.refresh_from_db()
    assert (bad.status, bad.reason, bad.feedback_item_id) == ("open", "", None)
    assert not Evidence.objects.exists() and not Event.objects.filter(verb="survey.bad_rating_handled").exists()
    # The item from the list: handled, and the ticket is evidence on it with the customer's comment.
    client.post(f"/surveys/bad-ratings/{bad.pk}/", {"reason": "product", "feedback_item": str(item.pk)})
    bad.refresh_from_db()
    assert (bad.status, bad.reason, bad.feedback_item_id, bad.handled_by_id) == ("handled", "product", item.pk, lead.pk)
    evidence = Evidence.objects.get(item=item)
    assert evidence.ticket_id == solved.pk and evidence.quote == "Excel export broken"
