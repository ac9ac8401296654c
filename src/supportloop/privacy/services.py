"""Privacy services: one contact's export, their erasure, legal holds, retention settings and the retention run.

Erasure has two layers. The targeted one knows what is the contact's own: their contact row (name, attributes),
every email address, their internal notes, the text of the messages they wrote and of the tickets they asked
(subjects, previews, attachments), their evidence quotes and survey comments, their quarantined mail. The
generic one then walks every model of every app (`apps.get_models()`), every text, char and JSON column, and
replaces whatever still mentions one of their addresses or their full name (an agent's reply "Hi Jane Doe",
a delivery record, a task's arguments, a webhook payload), so a model added later is covered without a change
here. Audit events are rewritten through core's recorded redaction (core.services.events_redact), and the search
index is rebuilt for every object touched. Erasure is one transaction; its own audit event carries counts only.
"""

from __future__ import annotations

import re
from collections import Counter as Tally
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.indexing import CONTACT, FEEDBACK, TICKET, index_changed
from supportloop.core.models import Event
from supportloop.core.services import _jsonable, change_seq_next, event_record, events_redact, model_update
from supportloop.customers.models import BouncedAddress, Company, Contact, CustomerNote
from supportloop.feedback.models import Evidence
from supportloop.feedback.services.evidence import evidence_remove
from supportloop.mail.models import FollowerProposal, Quarantine
from supportloop.privacy.choices import RetentionAction
from supportloop.privacy.models import LegalHold, RetentionSettings
from supportloop.search.engine import purge_deleted_text
from supportloop.search.models import SearchDocument
from supportloop.surveys.models import SurveyResponse, SurveySend
from supportloop.tickets.choices import Status
from supportloop.tickets.models import Attachment, Message, Ticket
from supportloop.tickets.rollups import rollup_apply, rollup_key

ERASED = "[erased]"
ERASED_NAME = "Erased contact"
EMAIL_NEVER = "\x00"  # a term no text holds (NUL is refused on the way in), for a contact with no address or name
MIN_NAME_CHARS = 4  # a shorter "name" (e.g. "Al") would match unrelated text all over the workspace


class LegalHoldActive(Conflict):
    type_slug = "legal-hold"
    title = "Legal hold"


# -- export --------------------------------------------------------------------------------------------------------


def _row(obj: models.Model) -> dict[str, Any]:
    """Every concrete column of a row, JSON-ready (files as their stored name)."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
        elif isinstance(field, models.BinaryField):
            value = None if value is None else f"<{len(value)} bytes>"
        out[field.attname] = _jsonable(value)
    return out


def contact_export(*, contact: Contact, actor: User | None) -> dict[str, Any]:
    """Everything stored about one contact, as one JSON-ready document (GDPR art. 15 and 20). Audited."""
    tickets = list(Ticket.objects.filter(requester=contact).order_by("id"))
    ticket_ids = [t.pk for t in tickets]
    messages = Message.objects.filter(Q(ticket_id__in=ticket_ids) | Q(author_contact=contact)).order_by("id")
    message_ids = list(messages.values_list("id", flat=True))
    emails = list(contact.emails.order_by("id").values_list("email", flat=True))
    target_ids = [("customers.contact", str(contact.pk))] + [("tickets.ticket", str(i)) for i in ticket_ids]
    events_q = Q()
    for target_type, target_id in target_ids:
        events_q |= Q(target_type=target_type, target_id=target_id)
    document = {
        "format": "supportloop.contact_export/1",
        "exported_at": timezone.now().isoformat(),
        "contact": _row(contact),
        "emails": emails,
        "company": _row(contact.company) if contact.company is not None else None,
        "notes": [_row(n) for n in CustomerNote.objects.filter(contact=contact)],
        "tickets": [
            {
                **_row(t),
                "tags": list(t.tags.values_list("name", flat=True)),
                "messages": [_row(m) for m in messages if m.ticket_id == t.pk],
            }
            for t in tickets
        ],
        "messages_elsewhere": [_row(m) for m in messages if m.ticket_id not in set(ticket_ids)],
        "attachments": [_row(a) for a in Attachment.objects.filter(message_id__in=message_ids).order_by("id")],
        "evidence": [_row(e) for e in Evidence.objects.filter(contact=contact).order_by("id")],
        "survey_sends": [_row(s) for s in SurveySend.objects.filter(contact=contact).order_by("id")],
        "survey_responses": [_row(r) for r in SurveyResponse.objects.filter(contact=contact).order_by("id")],
        "bounces": [_row(b) for b in BouncedAddress.objects.filter(email__in=emails)],
        "events": [_row(e) for e in Event.objects.filter(events_q).order_by("id")],
        "legal_hold": _row(contact.legal_hold) if LegalHold.objects.filter(contact=contact).exists() else None,
    }
    event_record(actor=actor, verb="privacy.contact_exported", target=contact, changes={"tickets": len(tickets)})
    return document


# -- legal holds ---------------------------------------------------------------------------------------------------


@transaction.atomic
def legal_hold_set(
    *, contact: Contact | None = None, company: Company | None = None, reason: str, actor: User | None
) -> LegalHold:
    """Put a contact or a company under legal hold (idempotent: an existing hold keeps its reason)."""
    if (contact is None) == (company is None):
        raise ValidationFailed("Name either a contact or a company.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("A legal hold needs a reason.", errors={"reason": "required"})
    hold, created = LegalHold.objects.get_or_create(
        contact=contact, company=company, defaults={"reason": reason[:300], "created_by": actor}
    )
    if created:
        event_record(actor=actor, verb="privacy.legal_hold_set", target=contact or company, changes={})
    return hold


@transaction.atomic
def legal_hold_lift(*, contact: Contact | None = None, company: Company | None = None, actor: User | None) -> bool:
    deleted, _ = LegalHold.objects.filter(contact=contact, company=company).delete()
    if deleted:
        event_record(actor=actor, verb="privacy.legal_hold_lifted", target=contact or company, changes={})
    return bool(deleted)


def legal_hold_for(contact: Contact) -> LegalHold | None:
    """The hold that protects this contact: their own, or their company's."""
    q = Q(contact=contact)
    if contact.company_id:
        q |= Q(company_id=contact.company_id)
    return LegalHold.objects.filter(q).first()


# -- erasure -------------------------------------------------------------------------------------------------------


def _pattern(terms: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)


def _scrub(value: Any, pattern: re.Pattern[str], replacement: str) -> Any:
    """The value with every match replaced: strings, and inside JSON (lists, dict keys and values)."""
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [_scrub(v, pattern, replacement) for v in value]
    if isinstance(value, dict):
        return {_scrub(k, pattern, replacement): _scrub(v, pattern, replacement) for k, v in value.items()}
    return value


TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)
# Rows the generic pass must leave to their owners: events go through the recorded redaction, search rows are
# rebuilt from their objects (and on SQLite have an FTS5 twin that only search.engine writes).
GENERIC_SKIP = {"core.Event", "search.SearchDocument"}


def _generic_scrub(pattern: re.Pattern[str], terms: list[str]) -> dict[str, int]:
    """Replace the terms in every text, char and JSON column of every model; returns rows changed per model."""
    changed: dict[str, int] = {}
    for model in apps.get_models():
        if model._meta.label in GENERIC_SKIP or model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS) and not f.primary_key]
        if not fields:
            continue
        q = Q()
        for field in fields:
            for term in terms:
                q |= Q(**{f"{field.name}__icontains": term})
        # A plain QuerySet: no custom manager refuses or filters.
        base: models.QuerySet[Any] = models.QuerySet(model=model)
        for row in base.filter(q).values("pk", *[f.name for f in fields]):
            updates = {}
            for field in fields:
                value = row[field.name]
                new = _scrub(value, pattern, ERASED)
                if new != value:
                    if isinstance(new, str) and getattr(field, "max_length", None):
                        new = new[: field.max_length]
                    updates[field.name] = new
            if updates:
                base.filter(pk=row["pk"]).update(**updates)
                changed[model._meta.label] = changed.get(model._meta.label, 0) + 1
    return changed


def _events_redact(
    pattern: re.Pattern[str], terms: list[str], reason: str, *, own: Q, own_pattern: re.Pattern[str] | None
) -> int:
    """Rewrite the events that mention a term; the events about the contact and their tickets (`own`) also lose
    the parts of the name (an attribute "@janet", a greeting)."""
    q = Q(pk__in=[])
    for term in terms:
        q |= Q(target_label__icontains=term) | Q(changes__icontains=term)
    rewrites = {}
    for event_id, changes, label in Event.objects.filter(q | own).values_list("id", "changes", "target_label"):
        new_changes, new_label = _scrub(changes, pattern, ERASED), _scrub(label, pattern, ERASED)
        if own_pattern is not None:
            new_changes, new_label = _scrub(new_changes, own_pattern, ERASED), _scrub(new_label, own_pattern, ERASED)
        if (new_changes, new_label) != (changes, label):
            rewrites[event_id] = (new_changes, new_label)
    return events_redact(rewrites=rewrites, reason=reason)


def _reindex_matching(terms: list[str]) -> int:
    """Rebuild the index rows that still mention a term (their objects are scrubbed by now)."""
    q = Q()
    for term in terms:
        q |= Q(title__icontains=term) | Q(body__icontains=term)
    stale: Tally[str] = Tally()
    by_kind: dict[str, list[int]] = {}
    for kind, object_id in SearchDocument.objects.filter(q).values_list("kind", "object_id"):
        by_kind.setdefault(kind, []).append(object_id)
        stale[kind] += 1
    for kind, ids in by_kind.items():
        index_changed(kind, ids)
    return sum(stale.values())


def _file_delete_on_commit(file: Any) -> None:
    """Remove a stored file once the transaction that dropped its row commits (never for a rolled-back one)."""
    name, storage = file.name, file.storage
    transaction.on_commit(lambda: storage.delete(name))


def _attachments_delete(attachments: Any) -> int:
    count = 0
    for attachment in attachments:
        if attachment.file:
            _file_delete_on_commit(attachment.file)
        attachment.delete()
        count += 1
    return count


@transaction.atomic
def contact_erase(*, contact: Contact, actor: User | None, remove_evidence: bool = False) -> dict[str, int]:
    """Erase a contact (GDPR art. 17): anonymise them and every mention of their addresses and name, everywhere.

    The contact row stays, renamed "Erased contact" with no address, so their tickets and evidence keep their
    shape: a feedback item still counts them as one anonymous customer, unless `remove_evidence` unlinks their
    evidence (the item's counts are recomputed). Refused (409) while a legal hold covers them or their company.
    Returns counts; the audit event holds the same counts and nothing of the erased data.
    """
    seq = change_seq_next()  # first, before any row lock (core.services.change_seq_next)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    hold = legal_hold_for(contact)
    if hold is not None:
        raise LegalHoldActive(
            "This contact is under a legal hold; lift the hold before erasing.", extra={"legal_hold": hold.pk}
        )
    emails = list(contact.emails.values_list("email", flat=True))
    terms = [e for e in emails if e]
    if len(contact.name.strip()) >= MIN_NAME_CHARS and contact.name != ERASED_NAME:
        terms.append(contact.name.strip())
    counts: dict[str, int] = {}

    tickets = list(Ticket.objects.filter(requester=contact).values_list("id", flat=True))
    own_messages = Message.objects.filter(author_contact=contact)
    touched_tickets = set(tickets) | set(own_messages.values_list("ticket_id", flat=True))
    counts["messages"] = own_messages.update(body_text=ERASED, body_html="", body_original="", cc=[])
    counts["attachments"] = _attachments_delete(
        Attachment.objects.filter(Q(message__author_contact=contact) | Q(message__ticket_id__in=tickets))
    )
    counts["tickets"] = Ticket.objects.filter(pk__in=tickets).update(
        subject=ERASED, last_message_preview="", followers=[], change_seq=seq, updated_at=timezone.now()
    )
    Ticket.objects.filter(pk__in=touched_tickets - set(tickets)).update(change_seq=seq)
    # Within their own tickets the agents' replies greet them by first name too: scrub the name's parts there.
    parts = [p for p in contact.name.split() if len(p) >= 3]
    part_pattern = re.compile(r"\b(" + "|".join(re.escape(p) for p in parts) + r")\b", re.IGNORECASE) if parts else None
    if part_pattern is not None:
        for message in Message.objects.filter(ticket_id__in=tickets).exclude(author_contact=contact):
            new = {
                f: part_pattern.sub(ERASED, getattr(message, f)) for f in ("body_text", "body_html", "body_original")
            }
            if any(new[f] != getattr(message, f) for f in new):
                Message.objects.filter(pk=message.pk).update(**new)

    evidence = list(Evidence.objects.filter(contact=contact))
    if remove_evidence:
        for item in evidence:
            evidence_remove(evidence=item, actor=actor)
        counts["evidence_removed"] = len(evidence)
    else:
        counts["evidence_kept"] = Evidence.objects.filter(contact=contact).update(quote=ERASED)
        index_changed(FEEDBACK, {e.item_id for e in evidence})
    counts["survey_comments"] = SurveyResponse.objects.filter(contact=contact).exclude(comment="").update(comment="")
    SurveySend.objects.filter(contact=contact).update(email="")
    counts["notes"] = CustomerNote.objects.filter(contact=contact).delete()[0]
    address_q = Q()
    for email in emails:
        address_q |= Q(email__iexact=email)
    if emails:
        BouncedAddress.objects.filter(address_q).delete()
        FollowerProposal.objects.filter(address_q).delete()
        sender_q = Q()
        for email in emails:
            sender_q |= Q(sender__icontains=email)
        for quarantined in Quarantine.objects.filter(sender_q):
            if quarantined.raw_file:
                _file_delete_on_commit(quarantined.raw_file)
            Quarantine.objects.filter(pk=quarantined.pk).update(raw=b"", raw_file="", subject=ERASED)
    counts["emails"] = contact.emails.all().delete()[0]
    Contact.objects.filter(pk=contact.pk).update(
        name=ERASED_NAME, attributes={}, change_seq=seq, updated_at=timezone.now()
    )

    pattern = _pattern(terms or [EMAIL_NEVER])
    if terms:
        counts["rows_scrubbed"] = sum(_generic_scrub(pattern, terms).values())
    contact.refresh_from_db()
    erasure = event_record(actor=actor, verb="privacy.contact_erased", target=contact, changes=dict(counts))
    own = Q(target_type="customers.contact", target_id=str(contact.pk)) | Q(
        target_type="tickets.ticket", target_id__in=[str(i) for i in tickets]
    )
    counts["events_redacted"] = _events_redact(
        pattern,
        terms,
        f"privacy.contact_erased event {erasure.pk}",
        own=own & ~Q(pk=erasure.pk),
        own_pattern=part_pattern,
    )
    index_changed(CONTACT, [contact.pk])
    index_changed(TICKET, sorted(touched_tickets))
    if terms:
        _reindex_matching(terms)
    purge_deleted_text()
    return counts


# -- retention -----------------------------------------------------------------------------------------------------


def retention_settings_get() -> RetentionSettings:
    settings_row, _ = RetentionSettings.objects.get_or_create(pk=1)
    return settings_row


RETENTION_MIN_DAYS = 30  # a typo of "3" must not wipe the last month


@transaction.atomic
def retention_settings_update(*, data: dict[str, Any], actor: User | None) -> RetentionSettings:
    """Change the retention rule (admins): enabled, days (>= 30), action (anonymise | delete)."""
    row = RetentionSettings.objects.select_for_update().get(pk=retention_settings_get().pk)
    errors = {}
    if "days" in data and (not isinstance(data["days"], int) or data["days"] < RETENTION_MIN_DAYS):
        errors["days"] = f"at least {RETENTION_MIN_DAYS}"
    if "action" in data and data["action"] not in RetentionAction.values:
        errors["action"] = f"one of {', '.join(RetentionAction.values)}"
    if errors:
        raise ValidationFailed("Invalid retention settings.", errors=errors)
    changes = model_update(
        row, data, allowed_fields=["enabled", "days", "action"], touch={"updated_at": timezone.now()}
    )
    if changes:
        event_record(actor=actor, verb="privacy.retention_updated", target=row, changes=changes)
    return row


RETENTION_BATCH = 200


def _held_q() -> Q:
    holds = LegalHold.objects.values_list("contact_id", "company_id")
    contact_ids = [c for c, _ in holds if c]
    company_ids = [c for _, c in holds if c]
    return Q(requester_id__in=contact_ids) | Q(company_id__in=company_ids) | Q(requester__company_id__in=company_ids)


def retention_due_ids(*, now: datetime | None = None, limit: int = RETENTION_BATCH) -> list[int]:
    """Closed tickets past the retention period not yet processed, oldest first, without legal holds."""
    row = retention_settings_get()
    cutoff = (now or timezone.now()) - timedelta(days=row.days)
    qs = Ticket.objects.filter(status=Status.CLOSED, updated_at__lt=cutoff).exclude(_held_q())
    if row.action == RetentionAction.ANONYMISE:
        qs = qs.exclude(subject=ERASED)  # done already: the run is idempotent
    return list(qs.order_by("updated_at", "id").values_list("id", flat=True)[:limit])


@transaction.atomic
def _retention_batch(*, ids: list[int], action: str) -> int:
    seq = change_seq_next()  # first, before any row lock (core.services.change_seq_next)
    tickets = list(Ticket.objects.select_for_update().filter(pk__in=ids, status=Status.CLOSED))
    ids = [t.pk for t in tickets]
    if not ids:
        return 0
    _attachments_delete(Attachment.objects.filter(message__ticket_id__in=ids))
    if action == RetentionAction.DELETE:
        Evidence.objects.filter(ticket_id__in=ids).update(quote="")
        deltas: Tally[Any] = Tally()
        for ticket in tickets:
            deltas[rollup_key(ticket)] -= 1
        Message.objects.filter(ticket_id__in=ids).delete()
        Ticket.objects.filter(pk__in=ids).delete()
        rollup_apply(deltas)
    else:
        Message.objects.filter(ticket_id__in=ids).update(body_text=ERASED, body_html="", body_original="", cc=[])
        Evidence.objects.filter(ticket_id__in=ids).update(quote=ERASED)
        Ticket.objects.filter(pk__in=ids).update(subject=ERASED, last_message_preview="", followers=[], change_seq=seq)
    index_changed(TICKET, ids)
    row = retention_settings_get()
    event_record(
        actor=None, verb="privacy.retention_applied", target=row, changes={"action": action, "tickets": len(ids)}
    )
    return len(ids)


def retention_run(
    *, now: datetime | None = None, batch: int = RETENTION_BATCH, max_batches: int = 1000
) -> dict[str, int]:
    """Apply the retention rule: batches of closed tickets past the period, each batch its own transaction and
    audit event (counts only). Nothing when retention is off. Safe to run twice."""
    row = retention_settings_get()
    if not row.enabled:
        return {"tickets": 0}
    total = 0
    for _ in range(max_batches):
        ids = retention_due_ids(now=now, limit=batch)
        if not ids:
            break
        total += _retention_batch(ids=ids, action=row.action)
    RetentionSettings.objects.filter(pk=row.pk).update(last_run_at=timezone.now())
    return {"tickets": total}
