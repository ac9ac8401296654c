"""Answers through a survey link, and the bad ratings they open.

A link's token is a random secret (192 bits) signed with SECRET_KEY (sending.survey_link_token_new): a forged or
altered token fails the signature check before any query, and only the secret's SHA-256 digest is stored, so a
database leak gives no working link. A link records the score on a GET (a customer who only clicks the score
in the mail is counted), then shows a form for a comment; the customer may change the score there (audited);
sending the form uses the link up. See docs/surveys.md for why a GET records.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.core.errors import Conflict, DomainError, ValidationFailed
from supportloop.core.jobs import job_enqueue
from supportloop.core.services import event_record, model_update
from supportloop.core.validation import clean_text
from supportloop.feedback.models import FeedbackItem
from supportloop.surveys.choices import (
    BadRatingReason,
    BadRatingStatus,
    SendStatus,
    Sentiment,
    SurveyKind,
    score_range,
    sentiment_of,
)
from supportloop.surveys.hooks import response_written
from supportloop.surveys.models import BadRating, SurveyResponse, SurveySend
from supportloop.surveys.services.sending import survey_link_secret, token_digest
from supportloop.tickets.hooks import TicketEvent, TicketEventKind, ticket_event_emit
from supportloop.tickets.models import MacroApplication, Ticket

COMMENT_MAX = 5000


class SurveyLinkRefused(DomainError):
    """A survey link that records nothing: `reason` is forged (bad signature or no such send), expired or used.
    `send` is the survey an expired or used link belongs to (so its page can speak the contact's language); None
    for a forged one."""

    status = 404
    title = "Survey link not usable"
    type_slug = "survey-link-refused"

    def __init__(self, reason: str, *, send: SurveySend | None = None):
        super().__init__(f"Survey link refused: {reason}.")
        self.reason = reason
        self.send = send


def survey_send_for_token(*, token: str, now: datetime | None = None) -> SurveySend:
    """The send a link's token belongs to, or SurveyLinkRefused: forged (bad signature: no query; or unknown),
    expired or used (closed)."""
    now = now or timezone.now()
    secret = survey_link_secret(token)
    if secret is None:
        raise SurveyLinkRefused("forged")
    send = SurveySend.objects.select_related("ticket", "contact").filter(token_hash=token_digest(secret)).first()
    if send is None or send.status != SendStatus.SENT:
        raise SurveyLinkRefused("forged")
    if send.closed_at is not None:
        raise SurveyLinkRefused("used", send=send)
    if now >= send.expires_at:
        raise SurveyLinkRefused("expired", send=send)
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
    """Record a customer's answer through their link (`raw`: the token as it is in the URL; the name predates
    signed links and callers outside the app pass it by name): the first answer makes the response, a later one changes
    it (audited, never a second response). `close` (the page's form was sent) uses the link up. A bad CSAT or
    NPS detractor opens a bad rating for the lead; a score changed to a good one withdraws it. `alert=False` (the
    demo's seeded history only) opens it without mailing the leads."""
    now = now or timezone.now()
    with transaction.atomic():
        send = survey_send_for_token(token=raw, now=now)
        send = SurveySend.objects.select_for_update(of=("self",)).select_related("ticket", "contact").get(pk=send.pk)
        if send.closed_at is not None:  # closed by a request that held the lock before us
            raise SurveyLinkRefused("used", send=send)
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
            response_written(response, None)
            changes: dict[str, list[Any]] = {"score": [None, value], "sentiment": [None, sentiment]}
            if text:
                changes["comment"] = [None, text]
            event_record(actor=None, actor_label=label, verb="survey.answered", target=response, changes=changes)
        else:
            before = (response.sentiment, response.score)
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
                response_written(response, before)
        if close:
            # The customer sent the page's form: the link is used up from now on (audited on the survey).
            SurveySend.objects.filter(pk=send.pk).update(closed_at=now)
            event_record(
                actor=None, actor_label=label, verb="survey.link_used", target=send, changes={"closed_at": [None, now]}
            )
        _bad_rating_follow(response, now=now, alert=alert)
        rated = {k: v for k, v in changes.items() if k in ("score", "sentiment")}
        if response.ticket_id and rated and alert:
            # Triggers and webhooks hear "rated" for the ticket (the seeded history stays quiet).
            ticket_event_emit(
                TicketEvent(
                    kind=TicketEventKind.RATED,
                    ticket_id=response.ticket_id,
                    changes={**rated, "survey": [None, response.kind]},
                    source="survey",
                )
            )
        return Recorded(response=response, created=created, changed=not created and bool(changes))


def _is_alerting(response: SurveyResponse) -> bool:
    """Bad ratings are bad CSATs and NPS detractors (CES has no alert: a hard process is not a bad rating)."""
    return response.kind in (SurveyKind.CSAT, SurveyKind.NPS) and response.sentiment == Sentiment.BAD


def _bad_rating_follow(response: SurveyResponse, *, now: datetime, alert: bool = True) -> None:
    existing = BadRating.objects.filter(response=response).first()
    if _is_alerting(response):
        if existing is None:
            bad = BadRating.objects.create(response=response, team_id=response.team_id, created_at=now)
            leads = list(bad_rating_leads(team_id=response.team_id))
            # The event names the leads alerted; they get an in-app notification now (same transaction) unless
            # this is the demo's quiet history, and the email after commit.
            event_record(
                actor=None,
                actor_label="surveys",
                verb="survey.bad_rating_opened",
                target=bad,
                changes={
                    "response": [None, response.pk],
                    "score": [None, response.score],
                    "leads": [None, [u.pk for u in leads]],
                },
            )
            if alert:
                _bad_rating_notify(response, leads=leads)
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


def _bad_rating_notify(response: SurveyResponse, *, leads: list[User]) -> None:
    """The in-app side of the alert: one notification per lead (automation's Notification: the header's unread
    count and /notifications/), in the lead's interface language. It links to the ticket when there is one; the
    text names the Bad ratings page, where an NPS detractor (no ticket) is reviewed."""
    # Imported here, as quality does: automation's services package pulls in triggers and routing, which need not
    # load with surveys (automation imports nothing of surveys, so there is no cycle either way).
    from supportloop.automation.models import Notification
    from supportloop.automation.services.notifications import notifications_changed_on_commit

    if not leads:
        return
    page = reverse("web:bad_ratings")
    notices = []
    for lead in leads:
        with translation.override(lead.language or settings.LANGUAGE_CODE):
            text = _("Bad %(kind)s rating (%(score)s) from %(contact)s: review it under Bad ratings (%(page)s).") % {
                "kind": response.get_kind_display(),
                "score": response.score,
                "contact": response.contact,
                "page": page,
            }
        notices.append(Notification(user=lead, ticket_id=response.ticket_id, text=text[:500], source="surveys"))
    Notification.objects.bulk_create(notices)
    notifications_changed_on_commit(u.pk for u in leads)


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
    link = settings.SITE_URL.rstrip("/") + reverse("web:bad_ratings")
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
    bad = BadRating.objects.select_for_update(of=("self",)).select_related("response").get(pk=bad_rating.pk)
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
