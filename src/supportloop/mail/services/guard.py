"""The one gate every automatic mail passes (acknowledgements, and closing-the-loop notices through
core.automail, which MailConfig.ready() fills in so feedback never imports mail): whether it may go to an
address now, and the log that counts what went.

`automatic_mail_blocked` answers with the reason a mail must not go ("" when it may); `automatic_mail_claim`
asks the same and records the answer in one transaction, so the next question counts this mail. Limits:

- never to a machine's address (no-reply, bounces, a mail provider's notices) or to one of our own;
- never to an address that bounced permanently, while its suppression lasts (customers.selectors.address_suppressed);
- per recipient: SUPPORTLOOP_ACKS_PER_RECIPIENT_HOUR acknowledgements an hour (1), and, as Zammad does for
  any automatic mail, SUPPORTLOOP_AUTO_MAIL_PER_TICKET_10MIN per ticket (10) and
  SUPPORTLOOP_AUTO_MAIL_PER_RECIPIENT_10MIN in all (30) in ten minutes;
- per mailbox: `Mailbox.autoresponder_max_per_hour` acknowledgements an hour. Reaching it pauses
  acknowledgements; the first held back one marks the mailbox paused, writes an event and mails every
  admin, once per pause. The pause ends by itself when the last hour's count is under the ceiling again.

Each held back mail is an AutomaticMail row with the reason (Django admin, "Automatic mail") and an event on
its ticket's timeline (`mail.<kind>_skipped`). Two workers asking at the same instant may both be let
through (at most one extra mail per worker): the limits are a brake on floods, not an exact quota.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from supportloop.core.services import event_record
from supportloop.customers.selectors import address_suppressed
from supportloop.mail.choices import AutomaticMailKind
from supportloop.mail.machines import noreply_address
from supportloop.mail.models import AutomaticMail, Mailbox
from supportloop.mail.threader import base_address, our_addresses
from supportloop.tickets.models import Ticket

logger = logging.getLogger("supportloop.mail")

CEILING = "mailbox ceiling"
LIMIT = "limit per"


def automatic_mail_blocked(
    *,
    recipient: str,
    ticket_id: int | None = None,
    mailbox: Mailbox | None = None,
    kind: str = AutomaticMailKind.ACKNOWLEDGEMENT,
) -> str:
    """Why an automatic mail of this kind must not go to `recipient` now, or "" when it may."""
    recipient = (recipient or "").strip().lower()
    if not recipient:
        return "no recipient address"
    if noreply_address(recipient):
        return "the address belongs to a machine (no-reply, bounces, a mail system or list manager, RFC 3834)"
    if base_address(recipient) in our_addresses():
        return "the address is one of our own"
    suppressed = address_suppressed(recipient)
    if suppressed:
        return suppressed
    now = timezone.now()
    hour, ten_minutes = now - timedelta(hours=1), now - timedelta(minutes=10)
    ack = kind == AutomaticMailKind.ACKNOWLEDGEMENT
    ceiling = mailbox.autoresponder_max_per_hour if (mailbox is not None and ack) else 0
    scope = Q(recipient=recipient) | (Q(mailbox=mailbox, kind=AutomaticMailKind.ACKNOWLEDGEMENT) if ceiling else Q())
    counts = AutomaticMail.objects.filter(scope, blocked_reason="", created_at__gte=hour).aggregate(
        acks=Count("id", filter=Q(recipient=recipient, kind=AutomaticMailKind.ACKNOWLEDGEMENT)),
        recent=Count("id", filter=Q(recipient=recipient, created_at__gte=ten_minutes)),
        ticket=Count("id", filter=Q(recipient=recipient, ticket_id=ticket_id, created_at__gte=ten_minutes)),
        mailbox=Count("id", filter=Q(mailbox=mailbox, kind=AutomaticMailKind.ACKNOWLEDGEMENT)),
    )
    per_ticket = settings.SUPPORTLOOP_AUTO_MAIL_PER_TICKET_10MIN
    if ticket_id is not None and counts["ticket"] >= per_ticket:
        return f"{LIMIT} ticket and recipient: {per_ticket} automatic mails in 10 minutes"
    per_recipient = settings.SUPPORTLOOP_AUTO_MAIL_PER_RECIPIENT_10MIN
    if counts["recent"] >= per_recipient:
        return f"{LIMIT} recipient: {per_recipient} automatic mails in 10 minutes"
    acks_per_hour = settings.SUPPORTLOOP_ACKS_PER_RECIPIENT_HOUR
    if ack and counts["acks"] >= acks_per_hour:
        return f"{LIMIT} recipient: {acks_per_hour} acknowledgement(s) an hour"
    if ceiling and counts["mailbox"] >= ceiling:
        address = mailbox.address if mailbox is not None else ""
        return f"{CEILING}: {ceiling} acknowledgements an hour from {address}; acknowledgements are paused"
    return ""


@transaction.atomic
def automatic_mail_claim(
    *, recipient: str, kind: str, ticket_id: int | None = None, mailbox: Mailbox | None = None
) -> str:
    """Ask the gate and record the answer: "" means send it now (it is counted from now on); otherwise the
    reason it was held back, already recorded where admins and agents see it."""
    reason = automatic_mail_blocked(recipient=recipient, ticket_id=ticket_id, mailbox=mailbox, kind=kind)
    row = AutomaticMail.objects.create(
        recipient=(recipient or "")[:320].lower(),
        kind=kind,
        ticket_id=ticket_id,
        mailbox=mailbox,
        blocked_reason=reason[:200],
    )
    if reason:
        target = Ticket.objects.filter(pk=ticket_id).first() if ticket_id else None
        event_record(
            actor=None,
            actor_label="mail",
            verb=f"mail.{kind}_skipped",
            target=target or mailbox or row,
            changes={"recipient": [None, row.recipient], "reason": [None, reason]},
        )
        logger.info("automatic mail (%s) to %s held back: %s", kind, row.recipient, reason)
        if reason.startswith(CEILING) and mailbox is not None:
            _pause(mailbox)
    elif mailbox is not None and kind == AutomaticMailKind.ACKNOWLEDGEMENT and mailbox.autoresponder_paused_at:
        resumed = Mailbox.objects.filter(pk=mailbox.pk, autoresponder_paused_at__isnull=False).update(
            autoresponder_paused_at=None
        )
        if resumed:
            event_record(
                actor=None,
                actor_label="mail",
                verb="mail.autoresponder_resumed",
                target=mailbox,
                changes={"paused_at": [mailbox.autoresponder_paused_at.isoformat(), None]},
            )
    return reason


def refusal_is_temporary(reason: str) -> bool:
    """A limit over a time window (per ticket, per recipient, the mailbox ceiling): it passes by itself."""
    return reason.startswith((LIMIT, CEILING))


def notice_blocked(*, recipient: str, ticket_id: int | None = None) -> str:
    """The gate for a notice (closing the loop), for core.automail: asks, records nothing."""
    return automatic_mail_blocked(recipient=recipient, ticket_id=ticket_id, kind=AutomaticMailKind.NOTICE)


def notice_claim(*, recipient: str, ticket_id: int | None = None) -> str:
    """The gate for a notice, for core.automail: asks and records (AutomaticMail row; event when refused)."""
    return automatic_mail_claim(recipient=recipient, ticket_id=ticket_id, kind=AutomaticMailKind.NOTICE)


def _pause(mailbox: Mailbox) -> None:
    """Mark the mailbox paused and tell the admins, once per pause (the conditional UPDATE picks one caller)."""
    now = timezone.now()
    if not Mailbox.objects.filter(pk=mailbox.pk, autoresponder_paused_at__isnull=True).update(
        autoresponder_paused_at=now
    ):
        return
    event_record(
        actor=None,
        actor_label="mail",
        verb="mail.autoresponder_paused",
        target=mailbox,
        changes={"paused_at": [None, now.isoformat()], "ceiling": [None, mailbox.autoresponder_max_per_hour]},
    )
    transaction.on_commit(lambda: _tell_admins(mailbox.pk))


def _tell_admins(mailbox_id: int) -> None:
    from supportloop.accounts.choices import Role
    from supportloop.accounts.models import User

    mailbox = Mailbox.objects.get(pk=mailbox_id)
    to = sorted(
        set(User.objects.filter(role=Role.ADMIN, is_active=True).exclude(email="").values_list("email", flat=True))
    )
    if not to:
        logger.warning("acknowledgements from %s paused; no admin has an email address", mailbox.address)
        return
    link = settings.SITE_URL.rstrip("/") + reverse("admin:mail_mailbox_change", args=[mailbox.pk])
    body = (
        f"More than {mailbox.autoresponder_max_per_hour} new tickets arrived at {mailbox.address} within an hour, "
        "so supportloop stopped sending acknowledgements from it. This usually means a flood of mail (spam, a "
        "loop with another system, or forged senders).\n\n"
        "Tickets are still created; only the automatic acknowledgements are held back, each recorded under "
        "Admin > Mail > Automatic mail. Acknowledgements start again by themselves once fewer than "
        f"{mailbox.autoresponder_max_per_hour} went out in the last hour.\n\n"
        f"If the volume is real, raise the mailbox's 'acknowledgements per hour at most': {link}\n"
    )
    try:
        send_mail(
            f"[supportloop] Acknowledgements paused for {mailbox.address}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            to,
            fail_silently=False,
        )
    except Exception:  # the pause and its event are recorded; the alert mail is best effort
        logger.exception("could not tell the admins that acknowledgements from %s paused", mailbox.address)
