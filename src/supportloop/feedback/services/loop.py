"""Closing the loop: telling every contact in an item's evidence that it shipped (or was declined), once.

Idempotency is a database fact: ClosingNotice has a unique (item, contact, kind). A run first queues a notice
per contact not yet queued, then makes the attempts that are due. Each attempt is claimed with one UPDATE that
only a due notice matches (queued and due, or claimed long ago with no outcome: its worker died), and the mail
is sent outside any transaction, so a slow mail server holds no database lock and two runs at once never send
the same notice together. A failed attempt queues the notice again after a backoff (BACKOFF_SECONDS) until
MAX_ATTEMPTS, under the same Message-ID; then it stays failed until a product manager retries it.
Every notice passes the automatic-mail guard that acknowledgements pass (core.automail; the mail app registers
it, feedback never imports mail): a refused contact's notice is skipped with the guard's reason, a notice held
back by a rate limit waits LIMIT_RETRY and is tried again.
Evidence moved by merges belongs to the target, so requesters of merged items are told, and a contact who
asked through several merged items is one contact: told once.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from email.utils import make_msgid, parseaddr
from functools import partial
from typing import Any, TypedDict

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template import Context, Engine
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.core.automail import automatic_mail_blocked, automatic_mail_claim, refusal_is_temporary
from supportloop.core.crashpoints import crash_point
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.jobs import job_enqueue
from supportloop.core.services import event_record
from supportloop.customers.models import Contact
from supportloop.feedback.choices import ItemStatus, NoticeKind, NoticeStatus
from supportloop.feedback.models import ClosingNotice, DigestDelivery, Evidence, FeedbackItem, NoticeTemplate
from supportloop.feedback.rollups import feedback_settings

logger = logging.getLogger("supportloop.feedback")

# A private engine: templates are admin-written text, rendered without autoescape (plain-text mail) and
# without the project's template libraries.
_ENGINE = Engine(autoescape=False)

FALLBACK: dict[str, tuple[str, str]] = {
    NoticeKind.SHIPPED: (
        "{{ item_title }} is live",
        'Hello {{ name }},\n\nYou asked us for "{{ item_title }}". It is now available.\n\n'
        "{{ release_note }}\n\nThank you for telling us.\n{{ workspace }}",
    ),
    NoticeKind.DECLINED: (
        "About your request: {{ item_title }}",
        'Hello {{ name }},\n\nYou asked us for "{{ item_title }}". We have decided not to '
        "build it.\n\n{{ decline_reason }}\n\nThank you for telling us.\n{{ workspace }}",
    ),
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


def _check_kind(kind: str) -> None:
    if kind not in NoticeKind.values:
        raise ValidationFailed(
            "Unknown notice kind.", errors={"kind": f"must be one of {', '.join(NoticeKind.values)}"}
        )


class RenderedNotice(TypedDict):
    subject: str
    body: str
    language: str


def notice_render(*, item: FeedbackItem, contact: Contact, kind: str) -> RenderedNotice:
    """Subject, body and language of the message one contact would receive."""
    _check_kind(kind)
    subject_src, body_src, language = _template(kind, contact.language)
    context = Context(
        {
            "name": contact.first_name or contact.name or "",
            "full_name": contact.name,
            "item_title": item.title,
            "release_note": item.release_note,
            "decline_reason": item.decline_reason,
            "workspace": feedback_settings().workspace_name,
        },
        autoescape=False,
    )
    subject = _ENGINE.from_string(subject_src).render(context).replace("\n", " ").strip()[:300]
    body = _ENGINE.from_string(body_src).render(context)
    return {"subject": subject, "body": body, "language": language}


def _recipients(item: FeedbackItem) -> list[tuple[Contact, int | None]]:
    """Distinct contacts of the item's evidence, each with its originating ticket (earliest ticket evidence)."""
    first_ticket: dict[int, int | None] = {}
    rows = (
        Evidence.objects.filter(item=item, contact__isnull=False)
        .order_by("created_at", "id")
        .values_list("contact_id", "ticket_id")
    )
    for contact_id, ticket_id in rows:
        if contact_id not in first_ticket or (first_ticket[contact_id] is None and ticket_id is not None):
            first_ticket[contact_id] = ticket_id
    contacts = Contact.objects.filter(pk__in=first_ticket).select_related("company").prefetch_related("emails")
    return [(c, first_ticket[c.pk]) for c in sorted(contacts, key=lambda c: (c.name, c.pk))]


def _default_kind(item: FeedbackItem) -> str:
    return NoticeKind.DECLINED if item.status == ItemStatus.DECLINED else NoticeKind.SHIPPED


# The acknowledgements' ladder (mail.services.outbound): five attempts, waiting 30 s, 2 min, 10 min and 30 min.
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (30, 120, 600, 1800)  # before attempts 2, 3, 4, 5
# An attempt with no outcome after this long is taken as lost (its worker died mid-send) and may be made again.
# Far above EMAIL_TIMEOUT, so a slow send in progress is never taken for a lost one.
ATTEMPT_LOST_AFTER = timedelta(minutes=10)
# Notices that will go out without anyone acting: queued, or being sent now.
UNDER_WAY = (NoticeStatus.PENDING, NoticeStatus.SENDING)
OUTCOME_STATUS: dict[str, str] = {NoticeKind.SHIPPED: ItemStatus.SHIPPED, NoticeKind.DECLINED: ItemStatus.DECLINED}


def notice_mail_refusal(*, contact: Contact, email: str, ticket_id: int | None = None) -> str:
    """Why this contact must not get automatic mail now, or "" when they may. The decision is the automatic-mail
    guard's, the same one acknowledgements pass (core.automail, filled in by the mail app): never to a machine's
    address (no-reply, MAILER-DAEMON, RFC 3834 list addresses), never to one of our own addresses, never to an
    address suppressed after a permanent bounce, and within the per-recipient and per-ticket limits.
    Asked when a notice is queued and by the preview (recording nothing); each attempt claims it
    (`_notice_attempt`), which records the answer.
    """
    if not email:
        return "no email address"
    return automatic_mail_blocked(recipient=email, ticket_id=ticket_id)


# A notice held back by a limit (not by the address itself) is tried again after this long.
LIMIT_RETRY = timedelta(minutes=10)


def _sender() -> str:
    return feedback_settings().notice_from_email or settings.DEFAULT_FROM_EMAIL


def _domain_of(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def _new_message_id(sender: str) -> str:
    return make_msgid(domain=sender.rpartition("@")[2] or "localhost").strip("<>")


def close_the_loop_preview(*, item: FeedbackItem, kind: str | None = None) -> list[dict[str, Any]]:
    """Who will be told, before the change is confirmed: one row per distinct contact in the evidence.

    `will_be_told` is what a run would actually send: not to a contact already told, nor one whose notice gave
    up (a product manager retries those), nor one who cannot be mailed (`error` says why).
    """
    kind = kind or _default_kind(item)
    notices = {n.contact_id: n for n in ClosingNotice.objects.filter(item=item, kind=kind)}
    rows: list[dict[str, Any]] = []
    for contact, ticket_id in _recipients(item):
        notice = notices.get(contact.pk)
        status = notice.status if notice is not None else None
        email = contact.primary_email
        refusal = notice_mail_refusal(contact=contact, email=email, ticket_id=ticket_id)
        later = refusal_is_temporary(refusal)  # a limit: told once it passes
        error = (
            notice.error if notice is not None and status in (NoticeStatus.FAILED, NoticeStatus.PENDING) else refusal
        )
        rows.append(
            {
                "contact_id": contact.pk,
                "name": contact.name,
                "email": email,
                "language": template_language(contact.language),
                "company": contact.company.name if contact.company else "",
                "ticket_id": ticket_id,
                "already_told": status == NoticeStatus.SENT,
                "will_be_told": (not refusal or later) and status not in (NoticeStatus.SENT, NoticeStatus.FAILED),
                "notice_status": status,
                "attempts": notice.attempts if notice is not None else 0,
                "error": error or "",
            }
        )
    return rows


def _notices_queue(item: FeedbackItem, kind: str, sender: str) -> int:
    """Queue a notice for every contact of the evidence without one (those who cannot be mailed are recorded
    as not mailed, with the reason), and queue again the not-mailed ones who now can be. One short transaction,
    no mail. Returns how many were queued."""
    now = timezone.now()
    queued = 0
    with transaction.atomic():
        existing = {n.contact_id: n for n in ClosingNotice.objects.filter(item=item, kind=kind)}
        new = []
        for contact, ticket_id in _recipients(item):
            email = contact.primary_email
            refusal = notice_mail_refusal(contact=contact, email=email, ticket_id=ticket_id)
            if refusal_is_temporary(refusal):
                refusal = ""  # a limit, not the address: queued; the attempt waits until the limit passes
            notice = existing.get(contact.pk)
            if notice is None:
                new.append(
                    ClosingNotice(
                        item=item,
                        contact=contact,
                        kind=kind,
                        ticket_id=ticket_id,
                        email=email,
                        message_id=_new_message_id(sender),
                        status=NoticeStatus.SKIPPED if refusal else NoticeStatus.PENDING,
                        error=refusal,
                        next_attempt_at=None if refusal else now,
                    )
                )
                queued += not refusal
            elif notice.status == NoticeStatus.SKIPPED and not refusal:
                queued += ClosingNotice.objects.filter(pk=notice.pk, status=NoticeStatus.SKIPPED).update(
                    status=NoticeStatus.PENDING, email=email, error="", next_attempt_at=now
                )
        # A concurrent run may queue the same contact first; its row stands (unique item, contact, kind).
        ClosingNotice.objects.bulk_create(new, ignore_conflicts=True)
    return queued


def closing_notices_queue(*, item: FeedbackItem, kind: str) -> int:
    """Queue the item's notices now, inside the caller's transaction (the status change that decides to tell):
    the item page then shows every customer queued at once, before the worker sends. Returns how many."""
    _check_kind(kind)
    return _notices_queue(item, kind, _sender())


def _attempt_claim(notice_id: int, now: datetime) -> bool:
    """Claim the next attempt of a notice (one UPDATE, its own transaction): only a queued notice that is due,
    or one claimed so long ago that its worker must have died, matches; of two runs at once one wins."""
    due = (Q(status=NoticeStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))) | Q(
        status=NoticeStatus.SENDING, attempted_at__lt=now - ATTEMPT_LOST_AFTER, attempts__lt=MAX_ATTEMPTS
    )
    return bool(
        ClosingNotice.objects.filter(due, pk=notice_id).update(
            status=NoticeStatus.SENDING, attempts=F("attempts") + 1, attempted_at=now, next_attempt_at=None
        )
    )


def _lost_last_attempts_give_up(item: FeedbackItem, kind: str, now: datetime) -> int:
    """A last attempt lost with its worker has no attempt left: the notice fails (its outcome unknown), for a
    product manager to retry."""
    return ClosingNotice.objects.filter(
        item=item,
        kind=kind,
        status=NoticeStatus.SENDING,
        attempted_at__lt=now - ATTEMPT_LOST_AFTER,
        attempts__gte=MAX_ATTEMPTS,
    ).update(status=NoticeStatus.FAILED, error="The last attempt got no outcome (its worker stopped mid-send).")


def _notice_attempt(*, notice_id: int, item: FeedbackItem, kind: str, sender: str) -> str:
    """Make one attempt at a notice if it is due; returns what happened: sent, retrying, failed (gave up),
    skipped (may not be mailed) or waiting (not due, or another run has it)."""
    now = timezone.now()
    if not _attempt_claim(notice_id, now):
        return "waiting"
    notice = ClosingNotice.objects.get(pk=notice_id)
    mine = ClosingNotice.objects.filter(pk=notice_id, status=NoticeStatus.SENDING, attempts=notice.attempts)
    contact = Contact.objects.prefetch_related("emails").get(pk=notice.contact_id)
    email = contact.primary_email
    # The guard's decision, recorded (an AutomaticMail row; a refusal is also an event on the ticket): a mail let
    # through counts towards the limits from now on.
    refusal = "no email address" if not email else automatic_mail_claim(recipient=email, ticket_id=notice.ticket_id)
    if refusal and refusal_is_temporary(refusal):
        mine.update(
            status=NoticeStatus.PENDING, error=refusal, attempts=F("attempts") - 1, next_attempt_at=now + LIMIT_RETRY
        )
        return "waiting"
    if refusal:
        mine.update(status=NoticeStatus.SKIPPED, error=refusal, attempts=F("attempts") - 1)
        return "skipped"
    notice.message_id = notice.message_id or _new_message_id(sender)
    mine.update(email=email, message_id=notice.message_id)
    headers = {
        "Message-ID": f"<{notice.message_id}>",
        "X-Supportloop-Feedback": item.reference,
        "Auto-Submitted": "auto-generated",
    }
    try:
        rendered = notice_render(item=item, contact=contact, kind=kind)  # an admin's template may be broken
        mine.update(language=rendered["language"], subject=rendered["subject"])
        crash_point("mail.before_smtp")
        EmailMessage(
            subject=rendered["subject"], body=rendered["body"], from_email=sender, to=[email], headers=headers
        ).send()
        crash_point("mail.after_smtp")
    except Exception as exc:  # noqa: BLE001 - the row records the failure; a later attempt sends again
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning(
            "closing-the-loop notice %s to contact %s failed (attempt %s of %s): %s",
            notice_id,
            contact.pk,
            notice.attempts,
            MAX_ATTEMPTS,
            error,
        )
        if notice.attempts >= MAX_ATTEMPTS:
            mine.update(status=NoticeStatus.FAILED, error=error)
            return "failed"
        wait = timedelta(seconds=BACKOFF_SECONDS[min(notice.attempts, len(BACKOFF_SECONDS)) - 1])
        mine.update(status=NoticeStatus.PENDING, error=error, next_attempt_at=now + wait)
        return "retrying"
    with transaction.atomic():
        if mine.update(status=NoticeStatus.SENT, sent_at=timezone.now(), error="") and notice.ticket_id is not None:
            from supportloop.tickets.models import Ticket

            event_record(
                actor=None,
                actor_label="closing the loop",
                verb="ticket.customer_told",
                target=Ticket.objects.get(pk=notice.ticket_id),
                changes={
                    "feedback_item": [None, item.pk],
                    "kind": [None, kind],
                    "contact": [None, contact.pk],
                    "notice": [None, notice.pk],
                    "subject": [None, rendered["subject"]],
                },
            )
    return "sent"


def close_the_loop_send(*, item_id: int, kind: str) -> dict[str, int]:
    """Queue a notice for every contact not yet told and make the attempts that are due; record each one sent
    on its originating ticket's audit trail. Must run outside a transaction (it sends mail).

    Safe to run twice, and at the same time (see module docstring). Returns counts of this run: sent,
    retrying (failed, tried again later), failed (gave up), skipped (cannot be mailed), already (told
    before), waiting (not due yet, being sent by another run, or given up or not mailed in an earlier run).
    """
    _check_kind(kind)
    counts = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0, "already": 0, "waiting": 0}
    item = FeedbackItem.objects.filter(pk=item_id).first()
    if item is None:
        return counts
    if item.status != OUTCOME_STATUS[kind]:
        # No longer shipped (declined): what has not gone out waits, not mailed, until it is again.
        counts["skipped"] = ClosingNotice.objects.filter(
            Q(status=NoticeStatus.PENDING)
            | Q(status=NoticeStatus.SENDING, attempted_at__lt=timezone.now() - ATTEMPT_LOST_AFTER),
            item=item,
            kind=kind,
        ).update(status=NoticeStatus.SKIPPED, next_attempt_at=None, error=f"{item.reference} is no longer {kind}")
        return counts
    sender = _sender()
    _notices_queue(item, kind, sender)
    counts["failed"] += _lost_last_attempts_give_up(item, kind, timezone.now())
    for notice_id, status in (
        ClosingNotice.objects.filter(item=item, kind=kind).order_by("pk").values_list("pk", "status")
    ):
        if status == NoticeStatus.SENT:
            counts["already"] += 1
        elif status in UNDER_WAY:
            counts[_notice_attempt(notice_id=notice_id, item=item, kind=kind, sender=sender)] += 1
        else:
            counts["waiting"] += 1
    if any(counts[k] for k in ("sent", "retrying", "failed", "skipped")):
        with transaction.atomic():
            event_record(
                actor=None,
                actor_label="closing the loop",
                verb="feedback_item.customers_told",
                target=item,
                changes={"kind": [None, kind], **{k: [None, v] for k, v in counts.items()}},
            )
    return counts


def closing_notices_next_attempt(*, item_id: int, kind: str) -> datetime | None:
    """When the item's next queued attempt is due (None: nothing queued)."""
    return (
        ClosingNotice.objects.filter(item_id=item_id, kind=kind, status=NoticeStatus.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def _due(now: datetime) -> Q:
    return Q(status=NoticeStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=NoticeStatus.SENDING, attempted_at__lt=now - ATTEMPT_LOST_AFTER
    )


def closing_notices_due_exist(*, now: datetime) -> bool:
    """Some notice waits for an attempt at `now`: its backoff has passed, or its last attempt was lost."""
    return ClosingNotice.objects.filter(_due(now)).exists()


def closing_notices_send_due() -> dict[str, int]:
    """Make every attempt that is due, item by item (the scheduler's safety net: notices whose task was lost,
    attempts whose worker died, backoffs on a task backend that cannot wait). Returns the summed counts."""
    totals: dict[str, int] = {}
    pairs = (
        ClosingNotice.objects.filter(_due(timezone.now()))
        .order_by("item_id", "kind")
        .values_list("item_id", "kind")
        .distinct()
    )
    for item_id, kind in list(pairs):
        try:
            counts = close_the_loop_send(item_id=item_id, kind=kind)
        except Exception:  # logged with its item; the other items' notices still go out
            logger.exception("closing-the-loop notices of FB-%s (%s) failed", item_id, kind)
            continue
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    return totals


@transaction.atomic
def closing_notices_retry(*, item: FeedbackItem, actor: User | None, kind: str | None = None) -> list[int]:
    """Queue again the item's notices that gave up (a product manager's decision, e.g. after the mail server
    or an address was fixed): each gets a new round of attempts under its Message-ID. Returns their ids."""
    notices = ClosingNotice.objects.select_for_update().filter(item=item, status=NoticeStatus.FAILED)
    if kind is not None:
        _check_kind(kind)
        notices = notices.filter(kind=kind)
    rows = list(notices.order_by("pk").values("pk", "kind", "attempts", "error"))
    if not rows:
        raise Conflict(f"{item.reference} has no failed notices to retry.", errors={"notices": "none failed"})
    ids = [r["pk"] for r in rows]
    ClosingNotice.objects.filter(pk__in=ids).update(
        status=NoticeStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    event_record(
        actor=actor,
        verb="feedback_item.notices_retried",
        target=item,
        changes={
            "notices": [None, ids],
            "attempts": [{str(r["pk"]): r["attempts"] for r in rows}, 0],
            "error": [{str(r["pk"]): r["error"] for r in rows}, None],
        },
    )
    item_id = item.pk
    for notice_kind in sorted({r["kind"] for r in rows}):
        transaction.on_commit(partial(job_enqueue, "feedback.close_the_loop", item_id=item_id, kind=notice_kind))
    return ids


# A send with no outcome after this long is taken as lost (its worker died mid-send) and may be repeated.
DIGEST_ATTEMPT_LOST_AFTER = timedelta(minutes=10)


def weekly_digest_queue(*, week_start: date | None = None) -> None:
    """Queue the weekly digest mail (weekly_digest_send in the background) once the caller's transaction commits;
    None means last full week. Sending is idempotent per week and person, so queuing twice mails nobody twice."""
    week = week_start.isoformat() if week_start else None
    transaction.on_commit(partial(job_enqueue, "feedback.send_weekly_digest", week_start=week))


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
        claimed = DigestDelivery.objects.filter(
            may_try, week_start=digest["week_start"], user=user, sent_at__isnull=True
        ).update(attempted_at=now, error="")
        if not claimed:
            continue  # sent already, or another run is sending it
        delivery = DigestDelivery.objects.filter(week_start=digest["week_start"], user=user)
        # The same Message-ID on every attempt: if a worker dies after the server took the mail and before the
        # row says so, the repeat made after DIGEST_ATTEMPT_LOST_AFTER is the same message to mail clients.
        headers = {
            "Message-ID": f"<digest-{digest['week_start']:%Y%m%d}-{user.pk}@{_domain_of(settings.DEFAULT_FROM_EMAIL)}>"
        }
        try:
            crash_point("mail.before_smtp")
            EmailMessage(
                subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email], headers=headers
            ).send()
            crash_point("mail.after_smtp")
        except Exception as exc:  # noqa: BLE001 - recorded on the row; the next run tries again
            logger.warning("digest to %s failed: %s", user.email, exc)
            delivery.update(error=f"{type(exc).__name__}: {exc}"[:2000] or "failed")
            continue
        with transaction.atomic():
            delivery.update(sent_at=timezone.now())
            event_record(
                actor=None,
                actor_label="digest",
                verb="feedback.digest_sent",
                target=delivery.get(),
                changes={"week_start": [None, digest["week_start"]], "to": [None, user.email]},
            )
        sent += 1
    return sent
