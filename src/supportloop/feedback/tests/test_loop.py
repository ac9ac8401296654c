"""Closing the loop: one personal message per contact, in their language, idempotent under retries."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from supportloop.core.errors import ValidationFailed
from supportloop.core.models import Event
from supportloop.core.selectors import events_for
from supportloop.feedback import selectors
from supportloop.feedback.models import ClosingNotice, NoticeTemplate
from supportloop.feedback.services import (
    close_the_loop_preview,
    evidence_add,
    feedback_item_merge,
    feedback_item_set_status,
)
from supportloop.feedback.services.loop import template_language
from supportloop.feedback.tasks import close_the_loop


@pytest.fixture
def asked(db, company, contact, ticket_for, item, agent):
    acme = company("Acme", "pro", 500)
    ann = contact("Ann Lee", acme, language="en", email="ann@acme-x.example")
    ivan = contact("Иван Петров", acme, language="ru", email="ivan@acme-x.example")
    li = contact("李伟", None, language="zh-CN", email="li.wei@qq.com")
    export, xlsx = item("Export to Excel"), item("XLSX download")
    ann_ticket, ivan_ticket, li_ticket = ticket_for(ann), ticket_for(ivan), ticket_for(li)
    evidence_add(item=export, actor=agent, ticket=ann_ticket)
    evidence_add(item=export, actor=agent, source="Sales call", contact=ann)
    evidence_add(item=export, actor=agent, ticket=ivan_ticket)
    # Li asked through the duplicate, and so did Ann: after the merge both are requesters of `export`.
    evidence_add(item=xlsx, actor=agent, ticket=li_ticket)
    evidence_add(item=xlsx, actor=agent, source="Survey", contact=ann)
    return {
        "export": export,
        "xlsx": xlsx,
        "ann": ann,
        "ivan": ivan,
        "li": li,
        "ann_ticket": ann_ticket,
        "li_ticket": li_ticket,
    }


def _ship(item, pm, capture, **kwargs):
    with capture(execute=True):
        return feedback_item_set_status(
            item=item,
            status="shipped",
            actor=pm,
            release_note=kwargs.pop("release_note", "Reports › Export › Excel."),
            **kwargs,
        )


def test_shipping_tells_every_requester_once_in_their_language(asked, pm, django_capture_on_commit_callbacks):
    export = asked["export"]
    feedback_item_merge(source=asked["xlsx"], target=export, actor=pm)
    preview = close_the_loop_preview(item=export, kind="shipped")
    # Ann (3 mentions across both items), Ivan, Li: three people, no one told yet.
    assert sorted(r["email"] for r in preview) == ["ann@acme-x.example", "ivan@acme-x.example", "li.wei@qq.com"]
    assert all(r["will_be_told"] and not r["already_told"] for r in preview)
    assert {r["email"]: r["language"] for r in preview}["li.wei@qq.com"] == "zh-hans"
    assert mail.outbox == []

    _ship(export, pm, django_capture_on_commit_callbacks)

    by_address = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 3 and set(by_address) == {r["email"] for r in preview}
    ann_mail, ivan_mail, li_mail = (
        by_address["ann@acme-x.example"],
        by_address["ivan@acme-x.example"],
        by_address["li.wei@qq.com"],
    )
    assert "Hello Ann," in ann_mail.body and "Export to Excel" in ann_mail.body
    assert "Reports › Export › Excel." in ann_mail.body
    assert ivan_mail.subject.startswith("Вы просили") and "Здравствуйте, Иван!" in ivan_mail.body
    assert li_mail.subject.startswith("您提出的需求已上线") and "Export to Excel" in li_mail.body
    notices = ClosingNotice.objects.filter(item=export, status="sent")
    assert notices.count() == 3
    assert set(notices.values_list("language", flat=True)) == {"en", "ru", "zh-hans"}
    # Recorded on the originating tickets' timelines.
    assert events_for(asked["ann_ticket"]).filter(verb="ticket.customer_told").count() == 1
    assert events_for(asked["li_ticket"]).filter(verb="ticket.customer_told").count() == 1
    assert [n.ticket for n in selectors.notices_for_ticket(ticket=asked["li_ticket"])] == [asked["li_ticket"]]
    assert all(r["already_told"] for r in close_the_loop_preview(item=export, kind="shipped"))


def test_retried_task_and_repeated_status_change_never_mail_twice(asked, pm, django_capture_on_commit_callbacks):
    export = asked["export"]
    _ship(export, pm, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2  # Ann, Ivan
    # The worker retries the same task: nothing new.
    assert close_the_loop.call(item_id=export.pk, kind="shipped") == {
        "sent": 0,
        "retrying": 0,
        "failed": 0,
        "skipped": 0,
        "already": 2,
        "waiting": 0,
    }
    close_the_loop.call(item_id=export.pk, kind="shipped")
    assert len(mail.outbox) == 2
    # Back to in progress and shipped again, with notify: still nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        feedback_item_set_status(item=export, status="in_progress", actor=pm)
    _ship(export, pm, django_capture_on_commit_callbacks, notify=True)
    assert len(mail.outbox) == 2
    assert ClosingNotice.objects.filter(item=export).count() == 2
    # A new requester after shipping is told on the next run, and only them.
    evidence_add(item=export, actor=pm, ticket=asked["li_ticket"])
    close_the_loop.call(item_id=export.pk, kind="shipped")
    assert [m.to for m in mail.outbox[2:]] == [["li.wei@qq.com"]]


def test_failed_mail_is_retried_and_then_sent_once(asked, pm, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "supportloop.feedback.tests.failing_backend.FailingBackend"
    _ship(asked["export"], pm, django_capture_on_commit_callbacks)
    assert set(ClosingNotice.objects.values_list("status", flat=True)) == {"pending"}  # queued for another try
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ClosingNotice.objects.update(next_attempt_at=timezone.now())  # the backoff has passed (test_loop_retries.py)
    result = close_the_loop.call(item_id=asked["export"].pk, kind="shipped")
    assert result["sent"] == 2 and len(mail.outbox) == 2
    assert close_the_loop.call(item_id=asked["export"].pk, kind="shipped")["sent"] == 0


def test_declining_tells_only_when_chosen_and_needs_a_reason(asked, pm, django_capture_on_commit_callbacks):
    export = asked["export"]
    with pytest.raises(ValidationFailed) as exc:
        feedback_item_set_status(item=export, status="declined", actor=pm)
    assert "decline_reason" in exc.value.errors
    with django_capture_on_commit_callbacks(execute=True):
        feedback_item_set_status(item=export, status="declined", actor=pm, decline_reason="Out of scope.")
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        feedback_item_set_status(item=export, status="declined", actor=pm, notify=True)
    assert len(mail.outbox) == 2
    assert all("Out of scope." in m.body for m in mail.outbox)
    assert {n.kind for n in ClosingNotice.objects.all()} == {"declined"}


def test_status_history_and_validation(asked, pm, django_capture_on_commit_callbacks):
    export = asked["export"]
    with pytest.raises(ValidationFailed) as exc:
        feedback_item_set_status(item=export, status="shipped", actor=pm, release_note="  ")
    assert "release_note" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        feedback_item_set_status(item=export, status="planned", actor=pm, notify=True)
    assert "notify" in exc.value.errors
    feedback_item_set_status(item=export, status="planned", actor=pm, note="Q3")
    history = [(h.from_status, h.to_status, h.actor_id, h.note) for h in selectors.status_history(item=export)]
    assert history == [("", "new", pm.pk, ""), ("new", "planned", pm.pk, "Q3")]
    assert Event.objects.filter(verb="feedback_item.status_changed", target_id=str(export.pk)).count() == 1


def test_template_language_fallbacks_and_admin_templates(asked, pm, django_capture_on_commit_callbacks):
    assert template_language("zh-CN") == "zh-hans"
    assert template_language("ru-RU") == "ru"
    assert template_language("de") == "en"
    assert template_language("zh-TW") == "en"
    NoticeTemplate.objects.filter(kind="shipped", language="en").update(
        subject="Done: {{ item_title }}", body="Hi {{ name }} — {{ release_note }} /{{ workspace }}"
    )
    _ship(asked["export"], pm, django_capture_on_commit_callbacks, release_note="Now in Reports.")
    ann_mail = next(m for m in mail.outbox if m.to == ["ann@acme-x.example"])
    assert ann_mail.subject == "Done: Export to Excel"
    assert ann_mail.body == "Hi Ann — Now in Reports. /supportloop"
