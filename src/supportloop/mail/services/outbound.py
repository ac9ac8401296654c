"""Outbound mail: agent replies and the auto-responder's acknowledgement, through Django's email backend.

Sending is never done inside a request's transaction: the tickets app calls our public-reply listener after
commit, which enqueues `message_send_task`; that task calls `message_deliver` and re-enqueues with backoff.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template import Context, Template
from django.utils import timezone
from django.utils.html import escape

from supportloop.core.crashpoints import crash_point
from supportloop.customers.models import ContactEmail
from supportloop.mail.authresults import FAIL
from supportloop.mail.choices import AutomaticMailKind, InboundOutcome
from supportloop.mail.models import AutoResponse, InboundMail, Mailbox, OutboundDelivery, TicketMailbox
from supportloop.mail.services.guard import automatic_mail_claim
from supportloop.mail.threader import subject_with_token
from supportloop.tickets.choices import DeliveryStatus
from supportloop.tickets.models import Message, Ticket

logger = logging.getLogger("supportloop.mail")

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (30, 120, 600, 1800)  # before attempts 2, 3, 4, 5

DEFAULT_TEMPLATES = {
    "en": {
        "subject": "[#{{ ticket_number }}] We received your request{% if subject %}: {{ subject }}{% endif %}",
        "body": "Hello{% if contact_name %} {{ contact_name }}{% endif %},\n\n"
        "Thank you for writing to us. Your request has been received as ticket #{{ ticket_number }}."
        "{% if expected_response_time %}\nWe usually answer within {{ expected_response_time }}.{% endif %}"
        "{% if help_center_url %}\n\nMany questions are answered in our help center: "
        "{{ help_center_url }}{% endif %}\n\n"
        "To add information, reply to this message and keep [#{{ ticket_number }}] in the subject.\n",
    },
    "zh-hans": {
        "subject": "[#{{ ticket_number }}] 我们已收到您的请求{% if subject %}：{{ subject }}{% endif %}",
        "body": "{% if contact_name %}{{ contact_name }}，{% endif %}您好：\n\n"
        "感谢您的来信。您的请求已登记为工单 #{{ ticket_number }}。"
        "{% if expected_response_time %}\n我们通常会在{{ expected_response_time }}内回复。{% endif %}"
        "{% if help_center_url %}\n\n很多问题可以在帮助中心找到答案：{{ help_center_url }}{% endif %}\n\n"
        "如需补充信息，请直接回复此邮件，并保留主题中的 [#{{ ticket_number }}]。\n",
    },
    "ru": {
        "subject": "[#{{ ticket_number }}] Мы получили ваше обращение{% if subject %}: {{ subject }}{% endif %}",
        "body": "Здравствуйте{% if contact_name %}, {{ contact_name }}{% endif %}!\n\n"
        "Спасибо за письмо. Ваше обращение зарегистрировано под номером #{{ ticket_number }}."
        "{% if expected_response_time %}\nОбычно мы отвечаем в течение: {{ expected_response_time }}."
        "{% endif %}"
        "{% if help_center_url %}\n\nОтветы на многие вопросы есть в справочном центре: "
        "{{ help_center_url }}{% endif %}\n\n"
        "Чтобы дополнить обращение, ответьте на это письмо, сохранив [#{{ ticket_number }}] в теме.\n",
    },
}


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def _mailbox_for_ticket(ticket_id: int) -> Mailbox | None:
    link = TicketMailbox.objects.select_related("mailbox").filter(ticket_id=ticket_id).first()
    if link is not None:
        return link.mailbox
    return Mailbox.objects.filter(is_active=True).order_by("id").first()


def _requester_address(ticket: Ticket) -> str:
    """Where the customer last wrote from, else their first address."""
    last = (
        Message.objects.filter(ticket=ticket, author_contact_id=ticket.requester_id)
        .exclude(external_message_id=None)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if last is not None:
        from supportloop.mail.models import InboundMail

        sender = InboundMail.objects.filter(message_id=last).values_list("sender", flat=True).first()
        if sender:
            return sender
    return (
        ContactEmail.objects.filter(contact_id=ticket.requester_id)
        .order_by("id")
        .values_list("email", flat=True)
        .first()
        or ""
    )


def thread_headers(message: Message) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for a reply: every earlier message id of the ticket, oldest first."""
    rows = (
        Message.objects.filter(ticket_id=message.ticket_id, created_at__lte=message.created_at)
        .exclude(pk=message.pk)
        .exclude(external_message_id=None)
        .order_by("created_at", "id")
        .values_list("external_message_id", "author_type")
    )
    ids = [(mid, author) for mid, author in rows if mid is not None and not mid.startswith("sha256:")]
    if not ids:
        return "", []
    customer = [mid for mid, author in ids if author == "contact"]
    in_reply_to = customer[-1] if customer else ids[-1][0]
    refs = [mid for mid, _a in ids]
    if len(refs) > 20:  # keep the root and the most recent ones; long headers get folded or cut by servers
        refs = [refs[0], *refs[-19:]]
    return in_reply_to, refs


def _brackets(mid: str) -> str:
    return f"<{mid}>"


def _send(email: EmailMultiAlternatives) -> None:
    email.connection = get_connection(fail_silently=False)
    email.send()


def _unix_lines(text: str) -> str:
    """Text typed in a browser's textarea arrives with CRLF line ends; compare it line by line."""
    return text.replace("\r\n", "\n")


def message_held_until(*, message_id: int) -> datetime | None:
    """The end of a reply's undo-send hold while it lasts (None once it is over, or without one)."""
    return (
        Message.objects.filter(pk=message_id, held_until__gt=timezone.now())
        .values_list("held_until", flat=True)
        .first()
    )


def held_replies_due(*, now: datetime, within: timedelta = timedelta(days=1)) -> list[int]:
    """Replies whose hold ended in the last `within` and whose mail has not left yet."""
    return list(
        Message.objects.filter(
            held_until__lte=now, held_until__gt=now - within, delivery_status=DeliveryStatus.PENDING
        ).values_list("pk", flat=True)
    )


def message_deliver(*, message_id: int) -> bool:
    """Send one agent reply. Returns True when another attempt should be scheduled.

    Safe to run twice: a message already sent is not sent again; the Message-ID is fixed before the first
    attempt, so a retry that reaches the customer twice still threads (and dedupes) as one message.
    """
    message = Message.objects.select_related("ticket", "author_user").filter(pk=message_id).first()
    if message is None or message.delivery_status in (DeliveryStatus.SENT, DeliveryStatus.NONE):
        return False
    if message.held_until is not None and message.held_until > timezone.now():
        return False  # still withdrawable (undo send): message_send_task comes back when the hold ends
    ticket = message.ticket
    mailbox = _mailbox_for_ticket(ticket.pk)
    from_address = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    with transaction.atomic():
        delivery, _ = OutboundDelivery.objects.select_for_update().get_or_create(
            message=message, defaults={"mailbox": mailbox}
        )
        if delivery.sent_at is not None:
            return False
        if not message.external_message_id:
            message.external_message_id = make_msgid(domain=_domain(from_address)).strip("<>")
            message.save(update_fields=["external_message_id"])
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        delivery.save(update_fields=["attempts", "last_attempt_at"])
    to = _requester_address(ticket)
    ours = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    cc = [a for a in message.cc if a != to and a.lower() not in ours]
    in_reply_to, refs = thread_headers(message)
    agent = message.author_user
    signature = (agent.signature or "").strip() if agent else ""
    if signature and _unix_lines(message.body_text).rstrip().endswith(_unix_lines(signature)):
        signature = ""  # already signed: a macro's {{ agent.signature }}, or the agent typed it
    text = message.body_text + (f"\n\n-- \n{signature}\n" if signature else "\n")
    html = message.body_html + (
        f'<p class="signature">-- <br>{escape(signature).replace(chr(10), "<br>")}</p>' if signature else ""
    )
    sender_name = (agent.display_name if agent and hasattr(agent, "display_name") else "") or (
        mailbox.name if mailbox else ""
    )
    headers = {"Message-ID": _brackets(message.external_message_id), "X-Supportloop-Ticket": str(ticket.number)}
    if mailbox:
        headers["X-Loop"] = mailbox.address
    if in_reply_to:
        headers["In-Reply-To"] = _brackets(in_reply_to)
        headers["References"] = " ".join(_brackets(r) for r in refs)
    email = EmailMultiAlternatives(
        subject=subject_with_token(ticket.subject, ticket.number),
        body=text,
        from_email=formataddr((str(sender_name), from_address)),
        to=[to] if to else [],
        cc=cc,
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as fh:
            email.attach(attachment.filename, fh.read(), attachment.content_type)
    error = ""
    try:
        if not to:
            raise ValueError("the requester has no email address")
        crash_point("mail.before_smtp")
        _send(email)
        crash_point("mail.after_smtp")
    except Exception as exc:  # noqa: BLE001 - every failure becomes a visible state, never a lost reply
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning("sending message %s failed (attempt %s): %s", message_id, delivery.attempts, error)
    now = timezone.now()
    if not error:
        OutboundDelivery.objects.filter(pk=delivery.pk).update(sent_at=now)
        Message.objects.filter(pk=message.pk).update(delivery_status=DeliveryStatus.SENT, delivery_error="")
        return False
    final = delivery.attempts >= MAX_ATTEMPTS or not to
    Message.objects.filter(pk=message.pk).update(
        delivery_status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
        delivery_error=error if final else f"attempt {delivery.attempts} of {MAX_ATTEMPTS} failed, retrying: {error}",
    )
    return not final


def retry_delay(attempts_done: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts_done, len(BACKOFF_SECONDS)) - 1])


def _template(mailbox: Mailbox, language: str) -> dict[str, str]:
    lang = language if language in DEFAULT_TEMPLATES else (language.split("-")[0] if language else "en")
    if lang == "zh":
        lang = "zh-hans"
    if lang not in DEFAULT_TEMPLATES:
        lang = "en"
    custom = (mailbox.autoresponder_templates or {}).get(lang) or {}
    return {
        "language": lang,
        "subject": custom.get("subject") or DEFAULT_TEMPLATES[lang]["subject"],
        "body": custom.get("body") or DEFAULT_TEMPLATES[lang]["body"],
    }


# An attempt with no outcome after this long is taken as lost (its worker died mid-send) and may be repeated.
ATTEMPT_LOST_AFTER = timedelta(minutes=10)


def autoresponse_wants_retry(row: AutoResponse | None) -> bool:
    """An acknowledgement whose last attempt failed and that has attempts left."""
    return row is not None and row.sent_at is None and bool(row.error) and 0 < row.attempts < MAX_ATTEMPTS


def autoresponse_send(*, ticket_id: int) -> AutoResponse | None:
    """Acknowledge a new email ticket once, in the contact's language. Returns the row (with `sent_at`, or
    the error of a failed attempt), or None if skipped or already sent. A failed attempt is tried again by
    the next call, with the same Message-ID, until MAX_ATTEMPTS (the tasks schedule it with backoff)."""
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None:
        return None
    earlier = AutoResponse.objects.filter(ticket=ticket).first()
    if earlier is not None and (
        earlier.sent_at is not None or earlier.attempts >= MAX_ATTEMPTS or earlier.skipped_reason
    ):
        return None  # already acknowledged (the task ran twice), given up, or held back by the guard
    mailbox = _mailbox_for_ticket(ticket.pk)
    if mailbox is None or not mailbox.autoresponder_enabled:
        return None
    to = _requester_address(ticket)
    if not to:
        return None
    tpl = _template(mailbox, ticket.requester.language or ticket.language)
    row = earlier
    if row is None:
        try:
            with transaction.atomic():
                row = AutoResponse.objects.create(
                    ticket=ticket,
                    mailbox=mailbox,
                    recipient=to,
                    language=tpl["language"],
                    message_id=make_msgid(domain=_domain(mailbox.address)).strip("<>"),
                )
                # The guard (services/guard.py) counts and caps acknowledgements; a held back one stays a row
                # with the reason, and the ticket's timeline says so.
                blocked = automatic_mail_claim(
                    recipient=to, ticket_id=ticket.pk, mailbox=mailbox, kind=AutomaticMailKind.ACKNOWLEDGEMENT
                )
                if blocked:
                    row.skipped_reason = blocked[:200]
                    row.save(update_fields=["skipped_reason"])
        except IntegrityError:
            return None  # a concurrent run of the task created it
        if row.skipped_reason:
            return row
    # A sender our receiving server saw fail SPF/DKIM/DMARC may be forged: then the acknowledgement carries
    # nothing they wrote (subject, display name), so it cannot carry spam to whoever they pretended to be.
    verdict = (
        InboundMail.objects.filter(ticket_id=ticket.pk, outcome=InboundOutcome.TICKET)
        .values_list("auth_verdict", flat=True)
        .first()
    )
    quote = verdict != FAIL
    context = Context(
        {
            "ticket_number": ticket.number,
            "subject": ticket.subject if quote else "",
            "contact_name": (ticket.requester.name or to) if quote else "",
            "expected_response_time": mailbox.expected_response_time,
            "help_center_url": mailbox.help_center_url,
        },
        autoescape=False,
    )
    subject = " ".join(Template(tpl["subject"]).render(context).split())[:500]
    body = Template(tpl["body"]).render(context)
    first = ticket.messages.order_by("created_at", "id").values_list("external_message_id", flat=True).first()
    headers = {
        "Message-ID": _brackets(row.message_id),
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
        "Precedence": "auto_reply",
        "X-Loop": mailbox.address,
        "X-Supportloop-Ticket": str(ticket.number),
    }
    if first and not first.startswith("sha256:"):
        headers["In-Reply-To"] = _brackets(first)
        headers["References"] = _brackets(first)
    email = EmailMultiAlternatives(
        subject=subject, body=body, from_email=formataddr((mailbox.name, mailbox.address)), to=[to], headers=headers
    )
    # Claim this attempt. Only the first attempt, a failed one or one lost long ago may be made again, and of
    # two runs at once (a task delivered twice) only the one whose update matches sends.
    attempt, now = row.attempts + 1, timezone.now()
    may_try = Q(attempts=0) | ~Q(error="") | Q(attempted_at__lt=now - ATTEMPT_LOST_AFTER)
    if not AutoResponse.objects.filter(may_try, pk=row.pk, sent_at__isnull=True, attempts=row.attempts).update(
        attempts=attempt, attempted_at=now, error=""
    ):
        return None
    try:
        crash_point("mail.before_smtp")
        _send(email)
        crash_point("mail.after_smtp")
    except Exception as exc:  # noqa: BLE001
        error = f"{type(exc).__name__}: {exc}"
        if attempt < MAX_ATTEMPTS:
            error = f"attempt {attempt} of {MAX_ATTEMPTS} failed, retrying: {error}"
        AutoResponse.objects.filter(pk=row.pk).update(error=error[:2000])
        logger.warning("auto-response for #%s failed (attempt %s): %s", ticket.number, attempt, exc)
    else:
        AutoResponse.objects.filter(pk=row.pk).update(sent_at=timezone.now(), error="")
    row.refresh_from_db()
    return row
