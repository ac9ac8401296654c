"""Every write of the analytics app apart from the rollups (analytics/rollups.py): TV links (create, rotate,
revoke) and the weekly lead mail. Keyword arguments, one transaction, one audit event per change."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.analytics.models import Dashboard, LeadReportDelivery, TvLink
from supportloop.core.errors import NotFound, ValidationFailed
from supportloop.core.services import event_record

logger = logging.getLogger("supportloop.analytics")

TV_SALT = "supportloop.analytics.tv"
TV_MAX_DAYS = 365
REPORT_ATTEMPT_LOST_AFTER = timedelta(minutes=10)


class TvLinkRefused(NotFound):
    """A TV link that is forged, altered, rotated, revoked or expired."""


def tv_token(link: TvLink) -> str:
    """The signed token of a link's current nonce (what the URL carries)."""
    return signing.dumps({"l": link.pk, "n": link.nonce}, salt=TV_SALT, compress=False)


def tv_link_resolve(*, token: str, now: datetime | None = None) -> TvLink:
    """The live link a token names, or TvLinkRefused: a bad signature, an unknown or rotated nonce, a revoked or
    expired link all read the same to the visitor."""
    try:
        data = signing.loads(token, salt=TV_SALT)
        link_id, nonce = int(data["l"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise TvLinkRefused("This TV link is not valid.") from exc
    link = TvLink.objects.filter(pk=link_id).first()
    if link is None or not secrets.compare_digest(link.nonce, nonce):
        raise TvLinkRefused("This TV link is not valid.")
    if link.revoked_at is not None or link.expires_at <= (now or timezone.now()):
        raise TvLinkRefused("This TV link was revoked or has expired.")
    return link


@transaction.atomic
def tv_link_create(*, name: str, dashboard: str, days: int = 90, actor: User) -> TvLink:
    name = (name or "").strip()
    if not name or len(name) > 100 or "\x00" in name:
        raise ValidationFailed("Give the link a name (up to 100 characters).", errors={"name": "1-100 characters"})
    if dashboard not in Dashboard.values:
        raise ValidationFailed(
            "Unknown dashboard.", errors={"dashboard": f"must be one of {', '.join(Dashboard.values)}"}
        )
    if not 1 <= days <= TV_MAX_DAYS:
        raise ValidationFailed("The link lives 1 to 365 days.", errors={"days": f"1-{TV_MAX_DAYS}"})
    link = TvLink.objects.create(
        name=name,
        dashboard=dashboard,
        nonce=secrets.token_urlsafe(24),
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=days),
    )
    event_record(
        actor=actor,
        verb="analytics.tv_link_created",
        target=link,
        changes={"dashboard": [None, dashboard], "expires_at": [None, link.expires_at.isoformat()]},
    )
    return link


def _live(link_id: int) -> TvLink:
    link = TvLink.objects.select_for_update().filter(pk=link_id).first()
    if link is None:
        raise NotFound("No such TV link.")
    return link


@transaction.atomic
def tv_link_rotate(*, link_id: int, actor: User) -> TvLink:
    """A new nonce: the old URL stops working, the new one shows the same dashboard."""
    link = _live(link_id)
    if link.revoked_at is not None:
        raise ValidationFailed("A revoked link cannot be rotated.", errors={"link": "revoked"})
    link.nonce = secrets.token_urlsafe(24)
    link.save(update_fields=["nonce"])
    event_record(actor=actor, verb="analytics.tv_link_rotated", target=link, changes={})
    return link


@transaction.atomic
def tv_link_revoke(*, link_id: int, actor: User) -> TvLink:
    link = _live(link_id)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        event_record(
            actor=actor,
            verb="analytics.tv_link_revoked",
            target=link,
            changes={"revoked_at": [None, str(link.revoked_at)]},
        )
    return link


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def lead_report_text(*, week_start: date, figures: dict[str, Any]) -> str:
    def fmt(value: object, unit: str = "") -> str:
        return "n/a" if value is None else f"{value}{unit}"

    macros = ", ".join(f"{name} ({n})" for name, n in figures["top_macros"]) or "none"
    return (
        f"Support figures for the week of {week_start:%d %b %Y}\n\n"
        f"Tickets created: {figures['created']}\n"
        f"First response, median: {fmt(figures['first_response_median_hours'], ' h')}\n"
        f"Resolution, median: {fmt(figures['resolution_median_hours'], ' h')}\n"
        f"CSAT (by rated date): {fmt(figures['csat'], ' %')} from {figures['csat_responses']} responses\n"
        f"NPS (by rated date): {fmt(figures['nps'])} from {figures['nps_responses']} responses\n"
        f"Backlog now: {figures['backlog']} open tickets\n"
        f"Top macros: {macros}\n\n"
        "Medians count business hours where the team has a calendar. The dashboards: Reports in supportloop.\n"
    )


def lead_report_send(*, week_start: date | None = None) -> int:
    """Mail the week's headline figures to every active lead with an email address; returns mails sent.

    Once per week and lead (LeadReportDelivery, unique): a second run sends only what has not gone out, so a
    failed mail is retried and a delivered one never repeated. Each mail is claimed in a short transaction and
    sent outside any, as the feedback digest does.
    """
    from supportloop.analytics.dashboards import headline_figures, local_midnight

    week = week_start or week_start_of(timezone.localdate()) - timedelta(weeks=1)
    week = week_start_of(week)
    figures = headline_figures(start=local_midnight(week), end=local_midnight(week + timedelta(days=7)))
    text = lead_report_text(week_start=week, figures=figures)
    subject = f"Support headline figures, week of {week:%d %b %Y}"
    sent = 0
    for user in User.objects.filter(role=Role.LEAD, is_active=True).exclude(email="").order_by("pk"):
        LeadReportDelivery.objects.get_or_create(week_start=week, user=user)
        now = timezone.now()
        may_try = Q(attempted_at__isnull=True) | ~Q(error="") | Q(attempted_at__lt=now - REPORT_ATTEMPT_LOST_AFTER)
        rows = LeadReportDelivery.objects.filter(week_start=week, user=user)
        if not rows.filter(may_try, sent_at__isnull=True).update(attempted_at=now, error=""):
            continue  # sent already, or another run is sending it
        try:
            EmailMessage(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]).send()
        except Exception as exc:  # noqa: BLE001 - kept on the row; the next run tries again
            logger.warning("lead report to %s failed: %s", user.email, exc)
            rows.update(error=f"{type(exc).__name__}: {exc}"[:2000] or "failed")
            continue
        with transaction.atomic():
            rows.update(sent_at=timezone.now())
            event_record(
                actor=None,
                actor_label="lead report",
                verb="analytics.lead_report_sent",
                target=rows.get(),
                changes={"week_start": [None, week.isoformat()], "to": [None, user.email]},
            )
        sent += 1
    return sent
