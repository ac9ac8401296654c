"""Closing the loop: telling every contact in an item's evidence that it shipped (or was declined), once.

Idempotency is a database fact: ClosingNotice has a unique (item, contact, kind). The sender claims the row
(insert, or lock the existing row) before mailing and marks it sent after, so a retried task or a repeated
status change skips contacts already told. Evidence moved by merges belongs to the target, so requesters of
merged items are told, and a contact who asked through several merged items is one contact: told once.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template import Context, Engine
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.core.errors import ValidationFailed
from supportloop.core.services import event_record
from supportloop.customers.models import Contact
from supportloop.feedback.choices import ItemStatus, NoticeKind, NoticeStatus
from supportloop.feedback.models import ClosingNotice, DigestDelivery, Evidence, FeedbackItem, NoticeTemplate
from supportloop.feedback.rollups import feedback_settings

logger = logging.getLogger("supportloop.feedback")

# A private engine: templates are admin-written text, rendered without autoescape (plain-text mail) and
# without the project's template libraries.
_ENGINE = Engine(autoescape=False)

FALLBACK = {
    NoticeKind.SHIPPED: ("{{ item_title }} is live",
                         "Hello {{ name }},\n\nYou asked us for \"{{ item_title }}\". It is now available.\n\n"
                         "{{ release_note }}\n\nThank you for telling us.\n{{ workspace }}"),
    NoticeKind.DECLINED: ("About your request: {{ item_title }}",
                          "Hello {{ name }},\n\nYou asked us for \"{{ item_title }}\". We have decided not to "
                          "build it.\n\n{{ decline_reason }}\n\nThank you for telling us.\n{{ workspace }}"),
}


def template_language(language: str) -> str:
    """The template language for a contact's language tag: exact, then Chinese simplified, then the prefix."""
    available = [code for code, _name in settings.LANGUAGES]
    tag = (language or "").strip().lower().replace("_", "-")
    if not tag:
        return settings.LANGUAGE_CODE
    if tag in available:
        return tag
    if tag in ("zh", "zh-cn", "zh-sg", "zh-hans-cn"):
        return "zh-hans" if "zh-hans" in available else settings.LANGUAGE_CODE
    prefix = tag.split("-")[0]
    if prefix != "zh" and prefix in available:
        return prefix
    return settings.LANGUAGE_CODE


def _template(kind: str, language: str) -> tuple[str, str, str]:
    templates = {t.language: t for t in NoticeTemplate.objects.filter(kind=kind)}
    lang = template_language(language)
    chosen = templates.get(lang) or templates.get(settings.LANGUAGE_CODE)
    if chosen is None:
        subject, body = FALLBACK[kind]
        return subject, body, settings.LANGUAGE_CODE
    return chosen.subject, chosen.body, chosen.language


def notice_render(*, item: FeedbackItem, contact: Contact, kind: str) -> dict:
    """Subject, body and language of the message one contact would receive."""
    if kind not in NoticeKind.values:
        raise ValidationFailed("Unknown notice kind.", errors={"kind": f"must be one of {', '.join(NoticeKind.values)}"})
    subject_src, body_src, language = _template(kind, contact.language)
    context = Context({
        "name": contact.first_name or contact.name or "",
        "full_name": contact.name,
        "item_title": item.title,
        "release_note": item.release_note,
        "decline_reason": item.decline_reason,
        "workspace": feedback_settings().workspace_name,
    }, autoescape=False)
    subject = _ENGINE.from_string(subject_src).render(context).replace("\n", " ").strip()[:300]
    body = _ENGINE.from_string(body_src).render(context)
    return {"subject": subject, "body": body, "language": language}


def _recipients(item: FeedbackItem) -> list[tuple[Contact, int | None]]:
    """Distinct contacts of the item's evidence, each with its originating ticket (earliest ticket evidence)."""
    first_ticket: dict[int, int | None] = {}
    rows = (Evidence.objects.filter(item=item, contact__isnull=False)
            .order_by("created_at", "id").values_list("contact_id", "ticket_id"))
    for contact_id, ticket_id in rows:
        if contact_id not in first_ticket or (first_ticket[contact_id] is None and ticket_id is not None):
            first_ticket[contact_id] = ticket_id
    contacts = Contact.objects.filter(pk__in=first_ticket).select_related("company").prefetch_related("emails")
    return [(c, first_ticket[c.pk]) for c in sorted(contacts, key=lambda c: (c.name, c.pk))]


def _default_kind(item: FeedbackItem) -> str:
    return NoticeKind.DECLINED if item.status == ItemStatus.DECLINED else NoticeKind.SHIPPED


def close_the_loop_preview(*, item: FeedbackItem, kind: str | None = None) -> list[dict]:
    """Who will be told, before the change is confirmed: one row per distinct contact in the evidence."""
    kind = kind or _default_kind(item)
    told = set(ClosingNotice.objects.filter(item=item, kind=kind, status=NoticeStatus.SENT)
               .values_list("contact_id", flat=True))
    return [{
        "contact_id": c.pk, "name": c.name, "email": c.primary_email,
        "language": template_language(c.language), "company": c.company.name if c.company_id else "",
        "ticket_id": ticket_id, "already_told": c.pk in told, "will_be_told": c.pk not in told and bool(c.primary_email),
    } for c, ticket_id in _recipients(item)]


def _claim(item: FeedbackItem, contact: Contact, kind: str) -> ClosingNotice | None:
    """Insert or lock this contact's notice row; None when it was already sent (or skipped)."""
    try:
        with transaction.atomic():
            return ClosingNotice.objects.create(item=item, contact=contact, kind=kind, status=NoticeStatus.SENDING)
    except IntegrityError:
        notice = ClosingNotice.objects.select_for_update().get(item=item, contact=contact, kind=kind)
        return notice if notice.status in (NoticeStatus.SENDING, NoticeStatus.FAILED) else None


def close_the_loop_send(*, item_id: int, kind: str) -> dict:
    """Mail every not-yet-told contact of the item once; record each on its originating ticket's audit trail.

    Safe to run twice (see module docstring). Returns counts: sent, skipped (no email), already (told before),
    failed.
    """
    item = FeedbackItem.objects.get(pk=item_id)
    sender = feedback_settings().notice_from_email or settings.DEFAULT_FROM_EMAIL
    counts = {"sent": 0, "skipped": 0, "already": 0, "failed": 0}
    for contact, ticket_id in _recipients(item):
        with transaction.atomic():
            notice = _claim(item, contact, kind)
            if notice is None:
                counts["already"] += 1
                continue
            email = contact.primary_email
            notice.ticket_id = ticket_id
            notice.email = email
            if not email:
                notice.status = NoticeStatus.SKIPPED
                notice.save()
                counts["skipped"] += 1
                continue
            rendered = notice_render(item=item, contact=contact, kind=kind)
            notice.language, notice.subject = rendered["language"], rendered["subject"]
            try:
                EmailMessage(subject=rendered["subject"], body=rendered["body"], from_email=sender,
                             to=[email], headers={"X-Supportloop-Feedback": item.reference}).send()
            except Exception as exc:  # noqa: BLE001 - the row records the failure; a retry sends again
                logger.warning("closing-the-loop mail to contact %s failed: %s", contact.pk, exc)
                notice.status, notice.error = NoticeStatus.FAILED, str(exc)[:2000]
                notice.save()
                counts["failed"] += 1
                continue
            notice.status, notice.sent_at, notice.error = NoticeStatus.SENT, timezone.now(), ""
            notice.save()
            counts["sent"] += 1
            if ticket_id is not None:
                from supportloop.tickets.models import Ticket

                ticket = Ticket.objects.get(pk=ticket_id)
                event_record(actor=None, actor_label="closing the loop", verb="ticket.customer_told", target=ticket,
                             changes={"feedback_item": [None, item.pk], "kind": [None, kind],
                                      "contact": [None, contact.pk], "notice": [None, notice.pk],
                                      "subject": [None, rendered["subject"]]})
    with transaction.atomic():
        event_record(actor=None, actor_label="closing the loop", verb="feedback_item.customers_told", target=item,
                     changes={"kind": [None, kind], **{k: [None, v] for k, v in counts.items()}})
    return counts


# A send with no outcome after this long is taken as lost (its worker died mid-send) and may be repeated.
DIGEST_ATTEMPT_LOST_AFTER = timedelta(minutes=10)


def weekly_digest_send(*, week_start: date | None = None) -> int:
    """Mail the weekly digest to every active product manager with an email address; returns mails sent.

    Once per week and person (DigestDelivery): running it again, from the scheduler or by hand, sends only
    what has not gone out yet, so a failed mail is retried and a delivered one never repeated. Each mail is
    claimed in a short transaction and sent outside any (a slow mail server holds no database lock), so two
    runs at once cannot both send it.
    """
    from supportloop.feedback.selectors import weekly_digest, weekly_digest_text

    digest = weekly_digest(week_start=week_start)
    text = weekly_digest_text(digest)
    subject = f"Feedback digest, week of {digest['week_start']:%d %b %Y}"
    sent = 0
    for user in User.objects.filter(role=Role.PRODUCT, is_active=True).exclude(email="").order_by("pk"):
        DigestDelivery.objects.get_or_create(week_start=digest["week_start"], user=user)
        now = timezone.now()
        may_try = Q(attempted_at__isnull=True) | ~Q(error="") | Q(attempted_at__lt=now - DIGEST_ATTEMPT_LOST_AFTER)
        claimed = DigestDelivery.objects.filter(may_try, week_start=digest["week_start"], user=user,
                                                sent_at__isnull=True).update(attempted_at=now, error="")
        if not claimed:
            continue  # sent already, or another run is sending it
        delivery = DigestDelivery.objects.filter(week_start=digest["week_start"], user=user)
        try:
            EmailMessage(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]).send()
        except Exception as exc:  # noqa: BLE001 - recorded on the row; the next run tries again
            logger.warning("digest to %s failed: %s", user.email, exc)
            delivery.update(error=f"{type(exc).__name__}: {exc}"[:2000] or "failed")
            continue
        with transaction.atomic():
            delivery.update(sent_at=timezone.now())
            event_record(actor=None, actor_label="digest", verb="feedback.digest_sent", target=delivery.get(),
                         changes={"week_start": [None, digest["week_start"]], "to": [None, user.email]})
        sent += 1
    return sent
