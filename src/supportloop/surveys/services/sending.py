"""Every write of the surveys app: settings, scheduling and sending surveys, recording answers, bad ratings.

Sending follows feedback's close-the-loop notices: a send is scheduled as a row (one CSAT or CES per ticket is a
unique constraint), each attempt is claimed with one UPDATE that only a due row matches, the throttle ("at most one
survey per contact in N days") is checked in that claim's transaction under a lock of the contact's row, and the
mail goes out outside any transaction through Django's mail backend after the automatic-mail guard
(core.automail, filled in by the mail app; surveys never imports mail) let it through.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportloop.core.automail import automatic_mail_claim, refusal_is_temporary
from supportloop.core.jobs import job_task
from supportloop.core.services import event_record
from supportloop.customers.models import Contact
from supportloop.surveys.choices import (
    CsatScale,
    SendStatus,
    SurveyKind,
    score_range,
)
from supportloop.surveys.models import SurveySend, SurveySettings
from supportloop.surveys.services.config import survey_settings
from supportloop.tickets.choices import Status
from supportloop.tickets.hooks import TicketEvent
from supportloop.tickets.models import Ticket

logger = logging.getLogger("supportloop.surveys")

MAX_ATTEMPTS = 3
BACKOFF = (timedelta(minutes=5), timedelta(minutes=30))  # before attempts 2 and 3
LIMIT_RETRY = timedelta(minutes=10)  # a send held back by a rate limit waits this long
ATTEMPT_LOST_AFTER = timedelta(minutes=10)  # a claim with no outcome after this long: its worker died
NPS_BATCH = 500  # NPS sends scheduled per daily run at most, so a large workspace is surveyed over days


LINK_SALT = "supportloop.surveys.link"  # a signature made for another purpose never passes as a survey link
LINK_SECRET_CHARS = 32  # secrets.token_urlsafe(24): 192 random bits as 32 URL-safe characters


def _link_signer() -> signing.Signer:
    # Signed with SECRET_KEY (SECRET_KEY_FALLBACKS still verify, so a key rotation with a fallback keeps links).
    return signing.Signer(salt=LINK_SALT)


def survey_link_token_new() -> tuple[str, str]:
    """A new link: (secret, token). The secret is random and only its digest is stored; the token, which goes in
    the URL, is the secret followed by its signature. Both are URL-safe and joined without a separator, so a link
    stays one plain word that mail clients do not break."""
    secret = secrets.token_urlsafe(24)
    signer = _link_signer()
    signature = signer.sign(secret).rsplit(signer.sep, 1)[1]
    return secret, secret + signature


def survey_link_secret(token: str) -> str | None:
    """The secret of a link token whose signature checks, else None. No query: a forged or altered token is
    refused here, before the database is asked."""
    if not token or not LINK_SECRET_CHARS < len(token) <= 100:
        return None
    signer = _link_signer()
    secret, signature = token[:LINK_SECRET_CHARS], token[LINK_SECRET_CHARS:]
    try:
        return signer.unsign(f"{secret}{signer.sep}{signature}")
    except signing.BadSignature:
        return None


def token_digest(secret: str) -> str:
    """What is stored of a link: the SHA-256 of its secret, so the database alone gives no working link."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def survey_link(token: str, score: int | None = None) -> str:
    url = settings.SITE_URL.rstrip("/") + reverse("web:survey_answer", args=[token])
    return url if score is None else f"{url}?s={score}"


def survey_on_ticket_event(event: TicketEvent) -> None:
    """Ticket-event listener: a ticket that became solved gets its survey scheduled. Runs after the ticket's
    transaction committed; a failure is logged, never raised into the ticket write."""
    status = event.changes.get("status")
    if not status or status[1] != Status.SOLVED or status[0] == Status.SOLVED:
        return
    try:
        survey_schedule_for_ticket(ticket_id=event.ticket_id)
    except Exception:
        logger.exception("scheduling the survey of ticket %s failed", event.ticket_id)


def _enqueue_send(send_id: int, when: datetime) -> None:
    survey_send = job_task("surveys.send")
    backend = survey_send.get_backend()
    if when > timezone.now() and not backend.supports_defer:
        return  # the scheduler's `surveys.sends_due` job sends it when it is due
    task = survey_send.using(run_after=when) if backend.supports_defer else survey_send
    task.enqueue(send_id=send_id)


def _send_create(
    *, kind: str, contact_id: int, ticket: Ticket | None, when: datetime, cfg: SurveySettings
) -> SurveySend:
    send = SurveySend.objects.create(
        kind=kind,
        scale=cfg.csat_scale if kind == SurveyKind.CSAT else "",
        ticket=ticket,
        contact_id=contact_id,
        scheduled_for=when,
        expires_at=when + timedelta(days=cfg.link_valid_days),
    )
    event_record(
        actor=None,
        actor_label="surveys",
        verb="survey.scheduled",
        target=ticket if ticket is not None else send,
        changes={"survey": [None, send.pk], "kind": [None, kind], "scheduled_for": [None, when]},
    )
    transaction.on_commit(partial(_enqueue_send, send.pk, when))
    return send


def survey_schedule_for_ticket(*, ticket_id: int, now: datetime | None = None) -> SurveySend | None:
    """Schedule the survey of a solved ticket: CES when its contact reason is one of the chosen ones (and CES is
    on), else CSAT after the configured delay. One per ticket: a ticket solved again gets none. None when the
    ticket is not solved, surveys are off, or it already has its survey."""
    now = now or timezone.now()
    cfg = survey_settings()
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.status != Status.SOLVED:
        return None
    kind = None
    reason_id = ticket.contact_reason_id
    if cfg.ces_enabled and reason_id is not None and cfg.ces_contact_reasons.filter(pk=reason_id).exists():
        kind = SurveyKind.CES
    if kind is None and cfg.csat_enabled:
        kind = SurveyKind.CSAT
    if kind is None or SurveySend.objects.filter(ticket=ticket, kind__in=[SurveyKind.CSAT, SurveyKind.CES]).exists():
        return None
    when = now + timedelta(minutes=cfg.csat_delay_minutes)
    try:
        with transaction.atomic():
            return _send_create(kind=kind, contact_id=ticket.requester_id, ticket=ticket, when=when, cfg=cfg)
    except IntegrityError:
        return None  # another listener run scheduled it first


def nps_schedule_due(*, now: datetime | None = None, limit: int = NPS_BATCH) -> int:
    """Schedule NPS for contacts due one: with an email address, a ticket in the last year, and no NPS sent or
    scheduled in the last `nps_interval_days`. Returns how many were scheduled. The throttle is applied when
    each is sent."""
    now = now or timezone.now()
    cfg = survey_settings()
    if not cfg.nps_enabled:
        return 0
    recent = SurveySend.objects.filter(kind=SurveyKind.NPS, created_at__gte=now - timedelta(days=cfg.nps_interval_days))
    contact_ids = list(
        Contact.objects.filter(emails__isnull=False, tickets__created_at__gte=now - timedelta(days=365))
        .exclude(pk__in=recent.values("contact_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )
    with transaction.atomic():
        for contact_id in contact_ids:
            _send_create(kind=SurveyKind.NPS, contact_id=contact_id, ticket=None, when=now, cfg=cfg)
    return len(contact_ids)


def due_sends_q(now: datetime) -> Q:
    return Q(status=SendStatus.SCHEDULED, scheduled_for__lte=now) | Q(
        status=SendStatus.SENDING, scheduled_for__lte=now - ATTEMPT_LOST_AFTER
    )


def survey_sends_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        SurveySend.objects.filter(due_sends_q(now)).order_by("scheduled_for", "id").values_list("pk", flat=True)
    )


def _throttled(send: SurveySend, cfg: SurveySettings, now: datetime) -> bool:
    if cfg.throttle_days == 0:
        return False
    others = SurveySend.objects.filter(contact_id=send.contact_id).exclude(pk=send.pk)
    return others.filter(
        Q(status=SendStatus.SENT, sent_at__gte=now - timedelta(days=cfg.throttle_days)) | Q(status=SendStatus.SENDING)
    ).exists()


def _skip(send: SurveySend, reason: str, *, attempts_back: bool = True) -> None:
    SurveySend.objects.filter(pk=send.pk).update(
        status=SendStatus.SKIPPED, error=reason[:2000], attempts=F("attempts") - (1 if attempts_back else 0)
    )
    event_record(
        actor=None,
        actor_label="surveys",
        verb="survey.skipped",
        target=send.ticket if send.ticket_id else send,
        changes={"survey": [None, send.pk], "reason": [None, reason]},
    )


def _claim(send_id: int, now: datetime) -> SurveySend | None:
    """Take a due send for this run (one UPDATE only a due row matches), then apply the throttle under a lock of
    the contact's row, so two sends to one contact at once cannot both pass it."""
    with transaction.atomic():
        taken = SurveySend.objects.filter(due_sends_q(now), pk=send_id).update(
            status=SendStatus.SENDING, scheduled_for=now, attempts=F("attempts") + 1
        )
        if not taken:
            return None
        send = SurveySend.objects.select_related("ticket").get(pk=send_id)
        Contact.objects.select_for_update().filter(pk=send.contact_id).first()
        cfg = survey_settings()
        if now >= send.expires_at:
            _skip(send, "expired before it could be sent")
            return None
        if _throttled(send, cfg, now):
            _skip(send, f"throttled: the contact had a survey in the last {cfg.throttle_days} days")
            return None
        return send


def survey_mail_render(*, send: SurveySend, link_token: str, contact: Contact) -> dict[str, str]:
    """Subject, text and HTML of a survey mail in the contact's language, with a link per score."""
    from supportloop.feedback.services.loop import template_language

    language = template_language(contact.language)
    low, high = score_range(send.kind, send.scale)
    with translation.override(language):
        scores = [
            {"score": n, "label": score_label(send.kind, send.scale, n), "url": survey_link(link_token, n)}
            for n in range(low, high + 1)
        ]
        if send.kind == SurveyKind.CSAT:
            scores.reverse()  # the good end first
        context = {
            "kind": send.kind,
            "name": contact.first_name,
            "ticket": send.ticket,
            "question": survey_question(send.kind, ticket=send.ticket),
            "scores": scores,
            "page_url": survey_link(link_token),
            "expires_at": send.expires_at,
        }
        subject = survey_subject(send.kind, ticket=send.ticket)
        text = render_to_string("surveys/email.txt", context)
        html = render_to_string("surveys/email.html", context)
    return {"subject": subject, "text": text, "html": html, "language": language}


def survey_subject(kind: str, *, ticket: Ticket | None) -> str:
    if kind == SurveyKind.NPS:
        return _("How likely are you to recommend us?")
    if ticket is not None:
        return _("[#%(number)s] How did we do?") % {"number": ticket.number}
    return _("How did we do?")


def survey_question(kind: str, *, ticket: Ticket | None) -> str:
    if kind == SurveyKind.CES:
        return _("How easy was it to get your request solved? (1 = very hard, 7 = very easy)")
    if kind == SurveyKind.NPS:
        return _("How likely are you to recommend us to a friend or colleague? (0 = not at all, 10 = extremely)")
    if ticket is not None:
        return _("How would you rate the support you received on “%(subject)s”?") % {"subject": ticket.subject}
    return _("How would you rate the support you received?")


def score_label(kind: str, scale: str, score: int) -> str:
    if kind == SurveyKind.CSAT and scale == CsatScale.GOOD_BAD:
        return _("Good, I'm satisfied") if score == 1 else _("Bad, I'm unsatisfied")
    return str(score)


def survey_send_deliver(*, send_id: int, now: datetime | None = None) -> str:
    """Make one attempt at a send if it is due; returns sent, skipped, retrying, failed or waiting. Must run
    outside a transaction (it sends mail). Safe to run twice and on two hosts at once."""
    now = now or timezone.now()
    send = _claim(send_id, now)
    if send is None:
        return "waiting" if SurveySend.objects.filter(pk=send_id, status=SendStatus.SENDING).exists() else "skipped"
    contact = Contact.objects.prefetch_related("emails").get(pk=send.contact_id)
    email = contact.primary_email
    mine = SurveySend.objects.filter(pk=send.pk, status=SendStatus.SENDING, attempts=send.attempts)
    refusal = "no email address" if not email else automatic_mail_claim(recipient=email, ticket_id=send.ticket_id)
    if refusal and refusal_is_temporary(refusal):
        mine.update(
            status=SendStatus.SCHEDULED, error=refusal, attempts=F("attempts") - 1, scheduled_for=now + LIMIT_RETRY
        )
        return "waiting"
    if refusal:
        with transaction.atomic():
            _skip(send, refusal)
        return "skipped"
    secret, link_token = survey_link_token_new()
    try:
        rendered = survey_mail_render(send=send, link_token=link_token, contact=contact)
        mail = EmailMultiAlternatives(
            subject=rendered["subject"],
            body=rendered["text"],
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
            headers={
                "Auto-Submitted": "auto-generated",
                "X-Supportloop-Survey": send.kind,
                "Content-Language": rendered["language"],
            },
        )
        mail.attach_alternative(rendered["html"], "text/html")
        # The digest is written before the mail goes, so a link that arrives is always one we know.
        mine.update(token_hash=token_digest(secret), email=email, language=rendered["language"])
        mail.send()
    except Exception as exc:  # noqa: BLE001 - the row records the failure; a later attempt sends again
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning("survey %s to contact %s failed (attempt %s): %s", send.pk, contact.pk, send.attempts, error)
        if send.attempts >= MAX_ATTEMPTS:
            mine.update(status=SendStatus.FAILED, error=error, token_hash=None)
            return "failed"
        wait = BACKOFF[min(send.attempts, len(BACKOFF)) - 1]
        mine.update(status=SendStatus.SCHEDULED, error=error, scheduled_for=now + wait, token_hash=None)
        return "retrying"
    with transaction.atomic():
        sent_at = timezone.now()
        mine.update(status=SendStatus.SENT, sent_at=sent_at, error="")
        event_record(
            actor=None,
            actor_label="surveys",
            verb="survey.sent",
            target=send.ticket if send.ticket_id else send,
            changes={"survey": [None, send.pk], "kind": [None, send.kind], "contact": [None, contact.pk]},
        )
    return "sent"


def survey_sends_deliver_due(*, now: datetime | None = None) -> dict[str, int]:
    """Every send that is due now: counts by outcome."""
    counts: dict[str, int] = {}
    for send_id in survey_sends_due(now=now):
        outcome = survey_send_deliver(send_id=send_id, now=now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
