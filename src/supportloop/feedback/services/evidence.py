"""Writes to evidence (where an item was heard) and structured bug reports."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.indexing import FEEDBACK, index_changed
from supportloop.core.services import event_record, model_update
from supportloop.core.validation import clean_text
from supportloop.customers.choices import Plan
from supportloop.customers.models import Contact
from supportloop.feedback.choices import (
    PICKLIST_UNKNOWN,
    Frequency,
    Importance,
    ItemStatus,
    Kind,
    PickListField,
    Severity,
)
from supportloop.feedback.models import BugReport, Evidence, FeedbackItem, PickListOption
from supportloop.feedback.rollups import stats_recompute
from supportloop.feedback.services.items import feedback_item_create
from supportloop.tickets.models import Attachment, Message, ProductFeature, Ticket

QUOTE_MAX = 2000
SOURCE_MAX = 100


def _check_importance(importance: str) -> None:
    if importance not in Importance.values:
        raise ValidationFailed(
            f"Unknown importance {importance!r}.",
            errors={"importance": f"must be one of {', '.join(Importance.values)}"},
        )


def evidence_link_key(*, ticket_id: int | None, message_id: int | None, quote: str) -> str | None:
    """What makes a link of a ticket without a named message a repeat: the same ticket and the same quote
    (whitespace aside). Kept as a digest so the database can hold it unique per item (Evidence.link_key).
    None for evidence of a message (unique per item itself) or without a ticket (a contact may be heard often).
    """
    if ticket_id is None or message_id is not None:
        return None
    return hashlib.sha256(f"{ticket_id}\n{' '.join(quote.split())}".encode()).hexdigest()


def evidence_duplicate_find(*, item: FeedbackItem, message_id: int | None, link_key: str | None) -> Evidence | None:
    """The item's evidence that a new link would repeat, if any."""
    if message_id is not None:
        found = Evidence.objects.filter(item=item, message_id=message_id)
    elif link_key is not None:
        found = Evidence.objects.filter(item=item, link_key=link_key)
    else:
        return None
    return found.select_related("ticket").order_by("pk").first()


def _duplicate(item: FeedbackItem, existing: Evidence) -> Conflict:
    if existing.message_id is not None:
        field, what = "message", "That message"
        hint = "Pick another message to count another mention."
    else:
        field, what = "ticket", f"Ticket #{existing.ticket.number}" if existing.ticket else "That ticket"
        hint = "Pick a message or quote something else the customer said to count another mention."
    return Conflict(
        f"{what} is already evidence for {item.reference} (evidence {existing.pk}, linked "
        f"{timezone.localtime(existing.linked_at):%Y-%m-%d}) and counts once. {hint}",
        errors={field: f"already linked as evidence {existing.pk}"},
        extra={"existing_evidence_id": existing.pk},
    )


@transaction.atomic
def evidence_add(
    *,
    item: FeedbackItem,
    actor: User | None,
    ticket: Ticket | None = None,
    message: Message | None = None,
    quote: str = "",
    contact: Contact | None = None,
    importance: str = Importance.IMPORTANT,
    source: str = "",
    heard_at: datetime | None = None,
) -> Evidence:
    """Link an item to where it was heard.

    The contact defaults to the message's author (a customer) or the ticket's requester; the company, its plan
    and MRR are snapshotted now. Without a ticket a source label is required ("Sales call", "NPS survey").
    The evidence is dated when it was heard: the message's time, `heard_at`, or now.
    """
    if item.status == ItemStatus.MERGED:
        raise Conflict(
            f"{item.reference} was merged into FB-{item.merged_into_id}; add evidence there.",
            errors={"item": f"merged into FB-{item.merged_into_id}"},
        )
    _check_importance(importance)
    quote = clean_text(quote, field="quote").strip()
    source = clean_text(source, field="source", max_length=SOURCE_MAX).strip()
    if message is not None:
        if ticket is not None and message.ticket_id != ticket.pk:
            raise ValidationFailed("The message belongs to another ticket.", errors={"message": "not on this ticket"})
        ticket = ticket or message.ticket
        if not quote:
            quote = message.body_text.strip()
    if ticket is not None and message is None and not quote:
        first = ticket.messages.filter(author_type="contact").order_by("created_at", "id").first()
        quote = first.body_text.strip() if first is not None else ""
    if ticket is None and not source:
        raise ValidationFailed(
            "Evidence without a ticket needs a source label (e.g. 'Sales call').",
            errors={"source": "required without a ticket"},
        )
    if contact is None:
        if message is not None and message.author_contact_id:
            contact = message.author_contact
        elif ticket is not None:
            contact = ticket.requester
    if len(quote) > QUOTE_MAX:
        quote = quote[: QUOTE_MAX - 1] + "…"
    message_id = message.pk if message is not None else None
    link_key = evidence_link_key(ticket_id=ticket.pk if ticket else None, message_id=message_id, quote=quote)
    existing = evidence_duplicate_find(item=item, message_id=message_id, link_key=link_key)
    if existing is not None:
        raise _duplicate(item, existing)
    company = contact.company if contact is not None and contact.company_id else None
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                item=item,
                ticket=ticket,
                message=message,
                quote=quote,
                contact=contact,
                company=company,
                company_plan=company.plan if company else "",
                company_mrr=company.mrr if company else Decimal("0"),
                importance=importance,
                source=source,
                linked_by=actor,
                link_key=link_key,
                created_at=heard_at or (message.created_at if message is not None else timezone.now()),
            )
    except IntegrityError:
        # Another link of the same ticket (or message) committed between our check and our insert.
        existing = evidence_duplicate_find(item=item, message_id=message_id, link_key=link_key)
        if existing is None:
            raise
        raise _duplicate(item, existing) from None
    stats_recompute(item_ids=[item.pk])
    FeedbackItem.objects.filter(pk=item.pk).update(updated_at=timezone.now())
    event_record(
        actor=actor,
        verb="feedback_item.evidence_added",
        target=item,
        changes={
            "evidence": [None, evidence.pk],
            "ticket": [None, ticket.pk if ticket else None],
            "contact": [None, contact.pk if contact else None],
            "company": [None, company.pk if company else None],
            "importance": [None, importance],
            "source": [None, source or None],
        },
    )
    index_changed(FEEDBACK, [item.pk])
    return evidence


@transaction.atomic
def ticket_feedback_link(
    *,
    ticket: Ticket,
    actor: User | None,
    item: FeedbackItem | None = None,
    new_kind: str = "",
    new_title: str = "",
    message: Message | None = None,
    quote: str = "",
    importance: str = Importance.IMPORTANT,
) -> tuple[FeedbackItem, Evidence]:
    """The ticket page's "Link to feedback": link the ticket to `item`, or open a new item from the ticket (its
    feature and area, the quote as the problem) and link that. One transaction: a refused link (a repeat, say)
    leaves no new item behind."""
    if item is None:
        item = feedback_item_create(
            kind=new_kind,
            title=new_title.strip(),
            problem=quote,
            product_feature=ticket.product_feature,
            product_area=ticket.product_area,
            actor=actor,
        )
    evidence = evidence_add(
        item=item, actor=actor, ticket=ticket, message=message, quote=quote, importance=importance, source="ticket"
    )
    return item, evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, actor: User | None) -> None:
    """Unlink one piece of evidence; the item's counts are recomputed in the same transaction."""
    item = evidence.item
    event_record(
        actor=actor,
        verb="feedback_item.evidence_removed",
        target=item,
        changes={
            "evidence": [evidence.pk, None],
            "ticket": [evidence.ticket_id, None],
            "contact": [evidence.contact_id, None],
        },
    )
    evidence.delete()
    stats_recompute(item_ids=[item.pk])
    index_changed(FEEDBACK, [item.pk])


def picklist_values(field: str) -> list[str]:
    """The active options of one bug-report pick-list, in admin order."""
    return list(PickListOption.objects.filter(field=field, is_active=True).values_list("value", flat=True))


BUG_TEXT_FIELDS = {"steps": "steps to reproduce", "expected": "expected result", "actual": "actual result"}
# The customer's message states what happened, seldom what should have: the expected result may stay empty.
BUG_TEXT_OPTIONAL = {"expected"}


def _bug_fields_check(values: dict[str, Any], *, partial: bool = False) -> dict[str, str]:
    """Check every structured field and collect all errors at once, each naming its field."""
    errors: dict[str, str] = {}
    options: dict[str, set[str]] = {f: set() for f in PickListField.values}
    for field, value in PickListOption.objects.filter(is_active=True).values_list("field", "value"):
        options[field].add(value)
    for values_of_field in options.values():
        values_of_field.add(PICKLIST_UNKNOWN)
    fixed = {"environment_plan": Plan.values, "severity": Severity.values, "frequency": Frequency.values}
    clean: dict[str, str] = {}
    for field in [*PickListField.values, *fixed]:
        if partial and field not in values:
            continue
        value = (values.get(field) or "").strip()
        allowed = options[field] if field in options else fixed[field]
        if not value:
            errors[field] = "required"
        elif value not in allowed:
            errors[field] = f"must be one of: {', '.join(sorted(allowed)) or '(no options configured)'}"
        clean[field] = value
    for field, label in BUG_TEXT_FIELDS.items():
        if partial and field not in values:
            continue
        try:
            value = clean_text(values.get(field), field=field).strip()
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if not value and field not in BUG_TEXT_OPTIONAL:
            errors[field] = f"required: the {label}"
        clean[field] = value
    if errors:
        missing = [f for f, msg in errors.items() if msg.startswith("required")]
        detail = ("Missing: " + ", ".join(missing) + ". ") if missing else ""
        invalid = [f for f in errors if f not in missing]
        detail += ("Not in the list: " + ", ".join(invalid) + ".") if invalid else ""
        raise ValidationFailed(f"The bug report is incomplete. {detail}".strip(), errors=errors)
    return clean


@transaction.atomic
def bug_report_file(
    *,
    actor: User | None,
    ticket: Ticket | None = None,
    title: str,
    product_feature: ProductFeature | None,
    version: str,
    environment_browser: str,
    environment_os: str,
    environment_device: str,
    environment_plan: str,
    severity: str,
    frequency: str,
    steps: str,
    expected: str,
    actual: str,
    carry_attachment_ids: Iterable[int] = (),
    problem: str = "",
    owner: User | None = None,
    importance: str = Importance.IMPORTANT,
    message: Message | None = None,
) -> FeedbackItem:
    """File a bug from the structured form (kind=bug); with a ticket, the ticket becomes its first evidence.

    Attachments of the ticket's messages can be carried over (linked, not copied).
    """
    errors: dict[str, str] = {}
    try:
        title = clean_text(title, field="title", required=True, max_length=300).strip()
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if product_feature is None:
        errors["product_feature"] = "required"
    try:
        clean = _bug_fields_check(
            {
                "version": version,
                "environment_browser": environment_browser,
                "environment_os": environment_os,
                "environment_device": environment_device,
                "environment_plan": environment_plan,
                "severity": severity,
                "frequency": frequency,
                "steps": steps,
                "expected": expected,
                "actual": actual,
            }
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
        clean = {}
    if errors:
        raise ValidationFailed(
            "The bug report is incomplete: " + ", ".join(f"{f} ({m})" for f, m in errors.items()) + ".", errors=errors
        )
    attachment_ids = sorted({int(i) for i in carry_attachment_ids})
    attachments = []
    if attachment_ids:
        if ticket is None:
            raise ValidationFailed(
                "Attachments can only be carried over from the bug's ticket.",
                errors={"carry_attachment_ids": "no ticket given"},
            )
        attachments = list(Attachment.objects.filter(pk__in=attachment_ids, message__ticket=ticket))
        if len(attachments) != len(attachment_ids):
            found = {a.pk for a in attachments}
            raise ValidationFailed(
                "Some attachments are not on this ticket.",
                errors={
                    "carry_attachment_ids": "not on the ticket: "
                    + ", ".join(str(i) for i in attachment_ids if i not in found)
                },
            )
    item = feedback_item_create(
        kind=Kind.BUG, title=title, problem=problem, product_feature=product_feature, owner=owner, actor=actor
    )
    report = BugReport.objects.create(item=item, ticket=ticket, **clean)
    if attachments:
        report.attachments.set(attachments)
    event_record(
        actor=actor,
        verb="feedback_item.bug_filed",
        target=item,
        changes={
            **{k: [None, v] for k, v in clean.items() if k not in BUG_TEXT_FIELDS},
            "ticket": [None, ticket.pk if ticket else None],
            "attachments": [[], attachment_ids],
        },
    )
    if ticket is not None:
        if message is None:
            message = ticket.messages.filter(author_type="contact").order_by("created_at", "id").first()
        evidence_add(
            item=item,
            actor=actor,
            ticket=ticket,
            message=message,
            importance=importance,
            quote=(message.body_text if message else clean["actual"]),
        )
    return item


@transaction.atomic
def bug_report_update(
    *, item: FeedbackItem, actor: User | None, carry_attachment_ids: Iterable[int] | None = None, **values: Any
) -> BugReport:
    """Change fields of a bug report; the same validation as filing, for the fields given."""
    report = BugReport.objects.select_for_update().get(item=item)
    unknown = (
        set(values) - set(PickListField.values) - {"environment_plan", "severity", "frequency"} - set(BUG_TEXT_FIELDS)
    )
    if unknown:
        raise ValidationFailed("Unknown bug-report field(s).", errors=dict.fromkeys(sorted(unknown), "unknown field"))
    clean = _bug_fields_check(values, partial=True)
    changes = model_update(report, clean, allowed_fields=clean)  # _bug_fields_check returns only known fields
    if carry_attachment_ids is not None:
        ids = sorted({int(i) for i in carry_attachment_ids})
        # A report without a ticket matches no attachment (Django compares None with IS NULL); django-stubs
        # refuses None for this lookup.
        attachments = list(Attachment.objects.filter(pk__in=ids, message__ticket_id=report.ticket_id))  # type: ignore[misc]
        if len(attachments) != len(ids):
            raise ValidationFailed(
                "Some attachments are not on the bug's ticket.", errors={"carry_attachment_ids": "not on the ticket"}
            )
        before = sorted(report.attachments.values_list("pk", flat=True))
        if before != ids:
            report.attachments.set(attachments)
            changes["attachments"] = [before, ids]
    if changes:
        event_record(actor=actor, verb="feedback_item.bug_updated", target=item, changes=changes)
    return report
