"""Demo surveys (`supportloop seed`): CSAT on a share of the solved tickets and CES on one contact reason, NPS from
contacts over the seeded weeks, answered through the customer's own path (`survey_answer`, dated when rated), and
a few of the bad ratings reviewed by the lead, a product issue linked to a feedback item as evidence.

Seeded surveys are marked sent (no mail goes out for history), and seeded bad ratings mail no lead. Deterministic
for a given rng; a few hundred responses whatever the ticket count, so bulk seeding at 1M stays quick.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.core.services import event_record, events_dated
from supportloop.customers.models import Contact
from supportloop.feedback.models import FeedbackItem
from supportloop.surveys.choices import BadRatingReason, SendStatus, SurveyKind
from supportloop.surveys.models import BadRating, SurveySend
from supportloop.surveys.services import (
    bad_rating_handle,
    survey_answer,
    survey_link_token_new,
    survey_settings,
    survey_settings_update,
    token_digest,
)
from supportloop.tickets.choices import Status
from supportloop.tickets.models import ContactReason, Ticket

MAX_TICKET_SURVEYS = 360
MAX_NPS = 80
CSAT_COMMENTS_GOOD = [
    "Quick and friendly, thank you!",
    "Solved in one reply.",
    "Great help",
    "Спасибо!",
    "谢谢，很快解决了",
]
CSAT_COMMENTS_BAD = [
    "The export still times out.",
    "Took three days to get an answer.",
    "You closed it without fixing anything.",
    "Я так и не получил ответ на свой вопрос.",
    "问题没有解决。",
]
NPS_COMMENTS = ["Love the product", "Reports are too slow", "Good value", "Missing an Excel export", ""]


def _sent(kind: str, contact_id: int, ticket: Ticket | None, when, scale: str) -> str:
    """A survey as if mailed at `when`: the row and its audit event; returns the link's token."""
    secret, token = survey_link_token_new()
    with events_dated(when):
        send = SurveySend.objects.create(
            kind=kind,
            scale=scale,
            ticket=ticket,
            contact_id=contact_id,
            token_hash=token_digest(secret),
            status=SendStatus.SENT,
            scheduled_for=when,
            created_at=when,
            sent_at=when,
            expires_at=when + timedelta(days=14),
            attempts=1,
        )
        event_record(
            actor=None,
            actor_label="surveys",
            verb="survey.sent",
            target=ticket if ticket is not None else send,
            changes={"survey": [None, send.pk], "kind": [None, kind], "contact": [None, contact_id]},
        )
    return token


def _answer(token: str, score: int, comment: str, when) -> None:
    with events_dated(when):
        survey_answer(raw=token, score=score, comment=comment, close=True, now=when, alert=False)


def seed(*, rng: random.Random, size: int) -> None:
    now = timezone.now()
    reason = ContactReason.objects.filter(is_catch_all=False, is_active=True).order_by("position", "pk").first()
    survey_settings_update(
        actor=None,
        csat_scale="good_bad",
        ces_enabled=reason is not None,
        ces_contact_reasons=[reason.slug] if reason else [],
        nps_enabled=True,
    )
    cfg = survey_settings()
    solved = list(
        Ticket.objects.filter(status__in=[Status.SOLVED, Status.CLOSED], solved_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "requester_id", "solved_at", "contact_reason_id")
    )
    picked = rng.sample(solved, min(len(solved), MAX_TICKET_SURVEYS, max(40, len(solved) * 2 // 5)))
    tickets = Ticket.objects.in_bulk([p[0] for p in picked])
    with transaction.atomic():
        for pk, requester_id, solved_at, reason_id in sorted(picked, key=lambda p: (p[2] or now, p[0])):
            if solved_at is None:
                continue
            sent_at = solved_at + timedelta(minutes=cfg.csat_delay_minutes)
            rated_at = sent_at + timedelta(minutes=rng.randint(5, 60 * 36))
            if rated_at > now:
                continue
            ces = reason is not None and reason_id == reason.pk
            if ces:
                token = _sent(SurveyKind.CES, requester_id, tickets[pk], sent_at, "")
                score = rng.choices(range(1, 8), weights=[1, 1, 2, 3, 5, 8, 6])[0]
                _answer(token, score, "", rated_at)
                continue
            token = _sent(SurveyKind.CSAT, requester_id, tickets[pk], sent_at, cfg.csat_scale)
            good = rng.random() < 0.84
            comment = rng.choice(CSAT_COMMENTS_GOOD if good else CSAT_COMMENTS_BAD) if rng.random() < 0.5 else ""
            _answer(token, 1 if good else 0, comment, rated_at)
        contacts = list(
            Contact.objects.filter(emails__isnull=False, tickets__isnull=False)
            .distinct()
            .order_by("pk")
            .values_list("pk", flat=True)[:2000]
        )
        for contact_id in rng.sample(contacts, min(len(contacts), MAX_NPS)):
            sent_at = now - timedelta(days=rng.uniform(1, 85))
            token = _sent(SurveyKind.NPS, contact_id, None, sent_at, "")
            score = rng.choices(range(11), weights=[1, 1, 1, 1, 2, 2, 3, 6, 10, 12, 11])[0]
            rated_at = min(now, sent_at + timedelta(hours=rng.uniform(1, 48)))
            _answer(token, score, rng.choice(NPS_COMMENTS), rated_at)
    _review_some(rng, now)


def _review_some(rng: random.Random, now) -> None:
    """The lead reviews about half of the older bad ratings; product issues go to a feedback item when one is
    there (the newest week stays open, for the page to show work)."""
    lead = User.objects.filter(role=Role.LEAD, is_active=True).order_by("pk").first()
    if lead is None:
        return
    item = FeedbackItem.objects.filter(merged_into__isnull=True).order_by("pk").first()
    older = BadRating.objects.filter(created_at__lt=now - timedelta(days=7)).order_by("pk")
    for bad in older:
        if rng.random() < 0.5:
            continue
        reason = rng.choice(BadRatingReason.values)
        with events_dated(bad.created_at + timedelta(hours=rng.uniform(2, 48))):
            bad_rating_handle(
                bad_rating=bad,
                actor=lead,
                reason=reason,
                note="",
                feedback_item=item if reason == BadRatingReason.PRODUCT else None,
            )
