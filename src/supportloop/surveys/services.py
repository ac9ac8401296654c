"""Every write of the surveys app: settings, scheduling and sending surveys, recording answers, bad ratings.

Sending follows feedback's close-the-loop notices: a send is scheduled as a row (one CSAT or CES per ticket is a
unique constraint), each attempt is claimed with one UPDATE that only a due row matches, the throttle ("at most one
survey per contact in N days") is checked in that claim's transaction under a lock of the contact's row, and the
mail goes out outside any transaction through Django's mail backend after the automatic-mail guard
(core.automail, filled in by the mail app; surveys never imports mail) let it through.

Links carry a random token (192 bits); only its SHA-256 digest is stored, so a database leak gives no working
link and a forged token matches nothing. A link records the score on a GET (a customer who only clicks the score
in the mail is counted), then shows a form for a comment; the customer may change the score there (audited);
sending the form uses the link up. See docs/surveys.md for why a GET records.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.core.automail import automatic_mail_claim, refusal_is_temporary
from supportloop.core.errors import Conflict, DomainError, ValidationFailed
from supportloop.core.jobs import job_enqueue
from supportloop.core.services import event_record, model_update
from supportloop.core.validation import clean_text
from supportloop.customers.models import Contact
from supportloop.feedback.models import FeedbackItem
from supportloop.surveys.choices import (
    BadRatingReason,
    BadRatingStatus,
    CsatScale,
    SendStatus,
    Sentiment,
    SurveyKind,
    score_range,
    sentiment_of,
)
from supportloop.surveys.models import BadRating, SurveyResponse, SurveySend, SurveySettings
from supportloop.tickets.choices import Status
from supportloop.tickets.hooks import TicketEvent
from supportloop.tickets.models import ContactReason, MacroApplication, Ticket

logger = logging.getLogger("supportloop.surveys")

MAX_ATTEMPTS = 3
BACKOFF = (timedelta(minutes=5), timedelta(minutes=30))  # before attempts 2 and 3
LIMIT_RETRY = timedelta(minutes=10)  # a send held back by a rate limit waits this long
ATTEMPT_LOST_AFTER = timedelta(minutes=10)  # a claim with no outcome after this long: its worker died
COMMENT_MAX = 5000
NPS_BATCH = 500  # NPS sends scheduled per daily run at most, so a large workspace is surveyed over days


class SurveyLinkRefused(DomainError):
    """A survey link that records nothing: `reason` is forged (no such token), expired or used."""

    status = 404
    title = "Survey link not usable"
    type_slug = "survey-link-refused"

    def __init__(self, reason: str):
        super().__init__(f"Survey link refused: {reason}.")
        self.reason = reason


# Settings ------------------------------------------------------------------------------------------------------


def survey_settings() -> SurveySettings:
    """The workspace's survey settings (the row is made with its defaults on first read)."""
    row, _created = SurveySettings.objects.get_or_create(pk=1)
    return row


SETTINGS_FIELDS = (
    "csat_enabled",
    "csat_delay_minutes",
    "csat_scale",
    "ces_enabled",
    "nps_enabled",
    "nps_interval_days",
    "throttle_days",
    "link_valid_days",
)
LIMITS = {
    "csat_delay_minutes": (0, 60 * 24 * 14),
    "nps_interval_days": (7, 3650),
    "throttle_days": (0, 3650),
    "link_valid_days": (1, 365),
}


@transaction.atomic
def survey_settings_update(
    *, actor: User | None, ces_contact_reasons: list[str] | None = None, **values: Any
) -> SurveySettings:
    """Change survey settings; `ces_contact_reasons` are contact reason slugs. Unknown fields, values out of
    range and unknown reasons are refused (422 naming the field)."""
    row = SurveySettings.objects.select_for_update().get(pk=survey_settings().pk)
    errors: dict[str, str] = {}
    for name, (low, high) in LIMITS.items():
        if name in values and not (isinstance(values[name], int) and low <= values[name] <= high):
            errors[name] = f"must be a whole number from {low} to {high}"
    if "csat_scale" in values and values["csat_scale"] not in CsatScale.values:
        errors["csat_scale"] = f"must be one of {', '.join(CsatScale.values)}"
    reasons: list[ContactReason] = []
    if ces_contact_reasons is not None:
        reasons = list(ContactReason.objects.filter(slug__in=ces_contact_reasons))
        unknown = sorted(set(ces_contact_reasons) - {r.slug for r in reasons})
        if unknown:
            errors["ces_contact_reasons"] = f"unknown contact reason(s): {', '.join(unknown)}"
    if errors:
        raise ValidationFailed("Invalid survey settings.", errors=errors)
    changes = model_update(row, values, allowed_fields=SETTINGS_FIELDS, touch={"updated_at": timezone.now()})
    if ces_contact_reasons is not None:
        before = sorted(row.ces_contact_reasons.values_list("slug", flat=True))
        after = sorted(r.slug for r in reasons)
        if before != after:
            row.ces_contact_reasons.set(reasons)
            changes["ces_contact_reasons"] = [before, after]
            row.updated_at = timezone.now()
            row.save(update_fields=["updated_at"])
    if changes:
        event_record(actor=actor, verb="surveys.settings_updated", target=row, changes=changes)
    return row


# Tokens --------------------------------------------------------------------------------------------------------


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def survey_link(raw: str, score: int | None = None) -> str:
    url = settings.SITE_URL.rstrip("/") + reverse("surveys:answer", args=[raw])
    return url if score is None else f"{url}?s={score}"


# Scheduling ----------------------------------------------------------------------------------------------------


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
    from supportloop.surveys.tasks import survey_send

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


# Sending -------------------------------------------------------------------------------------------------------


def _due_q(now: datetime) -> Q:
    return Q(status=SendStatus.SCHEDULED, scheduled_for__lte=now) | Q(
        status=SendStatus.SENDING, scheduled_for__lte=now - ATTEMPT_LOST_AFTER
    )


def survey_sends_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(SurveySend.objects.filter(_due_q(now)).order_by("scheduled_for", "id").values_list("pk", flat=True))


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
        taken = SurveySend.objects.filter(_due_q(now), pk=send_id).update(
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


def survey_mail_render(*, send: SurveySend, raw_token: str, contact: Contact) -> dict[str, str]:
    """Subject, text and HTML of a survey mail in the contact's language, with a link per score."""
    from supportloop.feedback.services.loop import template_language

    language = template_language(contact.language)
    low, high = score_range(send.kind, send.scale)
    with translation.override(language):
        scores = [
            {"score": n, "label": _score_label(send.kind, send.scale, n), "url": survey_link(raw_token, n)}
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
            "page_url": survey_link(raw_token),
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


def _score_label(kind: str, scale: str, score: int) -> str:
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
    raw = secrets.token_urlsafe(24)
    try:
        rendered = survey_mail_render(send=send, raw_token=raw, contact=contact)
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
        mine.update(token_hash=token_digest(raw), email=email, language=rendered["language"])
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


# Answers -------------------------------------------------------------------------------------------------------


def survey_send_for_token(*, raw: str, now: datetime | None = None) -> SurveySend:
    """The send a link's token belongs to, or SurveyLinkRefused: forged (unknown), expired or used (closed)."""
    now = now or timezone.now()
    if not raw or len(raw) > 100:
        raise SurveyLinkRefused("forged")
    send = SurveySend.objects.select_related("ticket", "contact").filter(token_hash=token_digest(raw)).first()
    if send is None or send.status != SendStatus.SENT:
        raise SurveyLinkRefused("forged")
    if send.closed_at is not None:
        raise SurveyLinkRefused("used")
    if now >= send.expires_at:
        raise SurveyLinkRefused("expired")
    return send


def parse_score(send: SurveySend, value: Any) -> int:
    """A score from a link or form: a whole number in the send's range, else 422."""
    low, high = score_range(send.kind, send.scale)
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        score = None
    if score is None or not low <= score <= high:
        raise ValidationFailed(
            f"The score must be a whole number from {low} to {high}.", errors={"score": f"from {low} to {high}"}
        )
    return score


@dataclass(frozen=True)
class Recorded:
    response: SurveyResponse
    created: bool
    changed: bool


def _ticket_snapshot(ticket: Ticket | None) -> dict[str, Any]:
    if ticket is None:
        return {}
    macro_id = (
        MacroApplication.objects.filter(ticket=ticket)
        .order_by("-applied_at", "-id")
        .values_list("macro_id", flat=True)
        .first()
    )
    return {
        "agent_id": ticket.assignee_id,
        "team_id": ticket.team_id,
        "product_area_id": ticket.product_area_id,
        "contact_reason_id": ticket.contact_reason_id,
        "macro_id": macro_id,
        "solved_at": ticket.solved_at,
    }


def survey_answer(
    *,
    raw: str,
    score: Any,
    comment: str | None = None,
    close: bool = False,
    now: datetime | None = None,
    alert: bool = True,
) -> Recorded:
    """Record a customer's answer through their link: the first answer makes the response, a later one changes
    it (audited, never a second response). `close` (the page's form was sent) uses the link up. A bad CSAT or
    NPS detractor opens a bad rating for the lead; a score changed to a good one withdraws it. `alert=False` (the
    demo's seeded history only) opens it without mailing the leads."""
    now = now or timezone.now()
    with transaction.atomic():
        send = survey_send_for_token(raw=raw, now=now)
        send = SurveySend.objects.select_for_update().select_related("ticket").get(pk=send.pk)
        if send.closed_at is not None:  # closed by a request that held the lock before us
            raise SurveyLinkRefused("used")
        value = parse_score(send, score)
        text = None if comment is None else clean_text(comment, field="comment").strip()[:COMMENT_MAX]
        sentiment = sentiment_of(send.kind, send.scale, value)
        response = SurveyResponse.objects.filter(send=send).first()
        created = response is None
        label = f"customer: {send.contact}"[:200]
        if response is None:
            response = SurveyResponse.objects.create(
                send=send,
                kind=send.kind,
                scale=send.scale,
                score=value,
                sentiment=sentiment,
                comment=text or "",
                contact_id=send.contact_id,
                ticket=send.ticket,
                rated_at=now,
                updated_at=now,
                **_ticket_snapshot(send.ticket),
            )
            SurveySend.objects.filter(pk=send.pk).update(answered_at=now)
            changes: dict[str, list[Any]] = {"score": [None, value], "sentiment": [None, sentiment]}
            if text:
                changes["comment"] = [None, text]
            event_record(actor=None, actor_label=label, verb="survey.answered", target=response, changes=changes)
        else:
            new = {"score": value, "sentiment": sentiment}
            if text is not None:
                new["comment"] = text
            changes = model_update(
                response,
                new,
                allowed_fields=("score", "sentiment", "comment"),
                touch={"updated_at": now, "changes": response.changes + 1},
            )
            if changes:
                event_record(
                    actor=None, actor_label=label, verb="survey.answer_changed", target=response, changes=changes
                )
        if close:
            SurveySend.objects.filter(pk=send.pk).update(closed_at=now)
        _bad_rating_follow(response, now=now, alert=alert)
        return Recorded(response=response, created=created, changed=not created and bool(changes))


def _is_alerting(response: SurveyResponse) -> bool:
    """Bad ratings are bad CSATs and NPS detractors (CES has no alert: a hard process is not a bad rating)."""
    return response.kind in (SurveyKind.CSAT, SurveyKind.NPS) and response.sentiment == Sentiment.BAD


def _bad_rating_follow(response: SurveyResponse, *, now: datetime, alert: bool = True) -> None:
    existing = BadRating.objects.filter(response=response).first()
    if _is_alerting(response):
        if existing is None:
            bad = BadRating.objects.create(response=response, team_id=response.team_id, created_at=now)
            leads = list(bad_rating_leads(team_id=response.team_id).values_list("pk", flat=True))
            # The in-app alert is this event on the bad rating (there is no notification model): the bad ratings
            # page lists open ones, and the event names the leads alerted. The email goes after commit.
            event_record(
                actor=None,
                actor_label="surveys",
                verb="survey.bad_rating_opened",
                target=bad,
                changes={"response": [None, response.pk], "score": [None, response.score], "leads": [None, leads]},
            )
            if alert:
                transaction.on_commit(partial(job_enqueue, "surveys.bad_rating_alert", bad_rating_id=bad.pk))
        elif existing.status == BadRatingStatus.WITHDRAWN:
            BadRating.objects.filter(pk=existing.pk).update(status=BadRatingStatus.OPEN)
            event_record(
                actor=None,
                actor_label="surveys",
                verb="survey.bad_rating_reopened",
                target=existing,
                changes={"status": [BadRatingStatus.WITHDRAWN, BadRatingStatus.OPEN]},
            )
    elif existing is not None and existing.status == BadRatingStatus.OPEN:
        BadRating.objects.filter(pk=existing.pk).update(status=BadRatingStatus.WITHDRAWN)
        event_record(
            actor=None,
            actor_label="surveys",
            verb="survey.bad_rating_withdrawn",
            target=existing,
            changes={"status": [BadRatingStatus.OPEN, BadRatingStatus.WITHDRAWN], "score": [None, response.score]},
        )


# Bad ratings ---------------------------------------------------------------------------------------------------


def bad_rating_leads(*, team_id: int | None) -> QuerySet[User]:
    """Who is alerted: the active leads of the ticket's team; without a team (or a team without a lead), every
    active lead."""
    leads = User.objects.filter(is_active=True, role=Role.LEAD)
    if team_id is not None and leads.filter(teams__id=team_id).exists():
        return leads.filter(teams__id=team_id).order_by("pk")
    return leads.order_by("pk")


def bad_rating_alert_send(*, bad_rating_id: int) -> int:
    """Email the leads about a bad rating (after commit; safe to run twice: it mails again, nothing else)."""
    bad = (
        BadRating.objects.select_related("response", "response__ticket", "response__contact")
        .filter(pk=bad_rating_id)
        .first()
    )
    if bad is None:
        return 0
    response = bad.response
    recipients = [u.email for u in bad_rating_leads(team_id=bad.team_id) if u.email]
    if not recipients:
        return 0
    link = settings.SITE_URL.rstrip("/") + reverse("surveys:bad_ratings")
    what = f"#{response.ticket.number} {response.ticket.subject}" if response.ticket else str(response.contact)
    subject = f"Bad {response.get_kind_display()} rating ({response.score}): {what}"[:300]
    body = (
        f"{response.contact} rated {response.get_kind_display()} {response.score}.\n"
        f"{response.comment}\n\nReview it and pick a reason: {link}\n"
    )
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


@transaction.atomic
def bad_rating_handle(
    *,
    bad_rating: BadRating,
    actor: User,
    reason: str,
    note: str = "",
    feedback_item: FeedbackItem | None = None,
) -> BadRating:
    """A lead's verdict on a bad rating: a reason from the list and a note. For a product issue, `feedback_item`
    links the ticket (or the contact, for NPS) to that item as evidence, through feedback's evidence service, with
    the customer's comment as the quote."""
    if reason not in BadRatingReason.values:
        raise ValidationFailed(
            "Unknown reason.", errors={"reason": f"must be one of {', '.join(BadRatingReason.values)}"}
        )
    if feedback_item is not None and reason != BadRatingReason.PRODUCT:
        raise ValidationFailed(
            "Only a product issue links to a feedback item.", errors={"feedback_item": "only with reason product"}
        )
    bad = BadRating.objects.select_for_update().select_related("response").get(pk=bad_rating.pk)
    note = clean_text(note, field="note", max_length=COMMENT_MAX).strip()
    changes = model_update(
        bad,
        {
            "reason": reason,
            "note": note,
            "status": BadRatingStatus.HANDLED,
            "handled_by": actor,
            "feedback_item": feedback_item or bad.feedback_item,
        },
        allowed_fields=("reason", "note", "status", "handled_by", "feedback_item"),
        touch={"handled_at": timezone.now()},
    )
    if feedback_item is not None and "feedback_item" in changes:
        from supportloop.feedback.services import evidence_add

        response = bad.response
        # A ticket already evidence of this item: the link stands, nothing to add.
        with suppress(Conflict):
            evidence_add(
                item=feedback_item,
                actor=actor,
                ticket=response.ticket,
                contact=response.contact,
                quote=response.comment,
                source=f"{response.get_kind_display()} survey",
                heard_at=response.rated_at,
            )
    if changes:
        event_record(actor=actor, verb="survey.bad_rating_handled", target=bad, changes=changes)
    return bad
