"""Was this message received before? By Message-ID plus a digest of its content, for both ingest paths.

A message is the same as one in the ledger when the Message-ID matches and so does the content digest
(parsing._content_digest: the sender's headers and the body, not the trace headers a second delivery
changes). Then it is a redelivery (a re-poll, a webhook retry, a second route): skipped, and the skip gets a
ledger row of its own with the reason. A different message with a Message-ID seen before (some mailers reuse
them) is stored under the key "<Message-ID> sha256:<digest prefix>" with a note. Ledger rows written before
digests existed have none: a match on their Message-ID counts as a redelivery, as it did then. A ticket
message with that Message-ID but no ledger row (our own reply coming back by Bcc, or one added through the
API) is skipped too.

Every lookup here is one statement for however many messages (the batch path asks once per run).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, Value

from supportloop.mail.choices import InboundOutcome
from supportloop.mail.models import InboundMail, Mailbox
from supportloop.mail.parsing import ParsedMail
from supportloop.tickets.models import Message

REDELIVERY = "redelivery"
OWN_MESSAGE = "known_message"


@dataclass(frozen=True)
class Seen:
    ledger: dict[str, tuple[int, str, int | None]]  # key -> (ledger row id, content digest, ticket id)
    messages: dict[str, int]  # Message-ID -> ticket id, of ticket messages


@dataclass(frozen=True)
class Prior:
    key: str  # the ledger key the message is (or would be) stored under
    skip: str = ""  # REDELIVERY or OWN_MESSAGE: do not store it; "" store it
    note: str = ""  # for the ledger row: why it was skipped, or that its Message-ID was reused
    reused_from_ticket: int | None = None

    @property
    def variant(self) -> bool:
        return " sha256:" in self.key


def variant_key(message_id: str, digest: str) -> str:
    """The key of a second, different message with this Message-ID (a space never occurs in a Message-ID)."""
    return f"{message_id[:460]} sha256:{digest[:32]}"


def keys_to_look_up(parsed: ParsedMail) -> list[str]:
    keys = [parsed.message_key]
    if parsed.message_id and parsed.content_digest:
        keys.append(variant_key(parsed.message_id, parsed.content_digest))
    return keys


def seen_lookup(keys: list[str], message_ids: list[str]) -> Seen:
    """Ledger rows that stored something under these keys, and ticket messages with these Message-IDs: one
    statement (a UNION)."""
    ledger = (
        InboundMail.objects.filter(message_key__in=keys)
        .exclude(outcome=InboundOutcome.DUPLICATE)
        .order_by()
        .annotate(src=Value("l", output_field=CharField()))
        .values_list("src", "message_key", "id", "content_digest", "ticket_id")
    )
    if message_ids:
        messages = (
            Message.objects.filter(external_message_id__in=message_ids)
            .order_by()
            .annotate(src=Value("m", output_field=CharField()), digest=Value("", output_field=CharField()))
            .values_list("src", "external_message_id", "id", "digest", "ticket_id")
        )
        ledger = ledger.union(messages, all=True)
    found = Seen({}, {})
    for src, key, pk, digest, ticket_id in ledger:
        if src == "l":
            found.ledger[key] = (pk, digest, ticket_id)
        else:
            found.messages[key] = ticket_id
    return found


def judge(parsed: ParsedMail, seen: Seen) -> Prior:
    key, mid, digest = parsed.message_key, parsed.message_id, parsed.content_digest
    row = seen.ledger.get(key)
    if row is not None:
        pk, old_digest, ticket_id = row
        if not mid or not old_digest or old_digest == digest:
            return Prior(key, REDELIVERY, f"redelivery: the same message as ledger row {pk}")
        variant = variant_key(mid, digest)
        if variant in seen.ledger:
            return Prior(variant, REDELIVERY, f"redelivery: the same message as ledger row {seen.ledger[variant][0]}")
        return Prior(
            variant,
            note=f"Message-ID <{mid}> was reused: ledger row {pk} is a different message with it; "
            "this one is stored separately",
            reused_from_ticket=ticket_id,
        )
    if mid and mid in seen.messages:
        return Prior(
            key,
            OWN_MESSAGE,
            f"a message of ticket id {seen.messages[mid]} already has this Message-ID "
            "(our own reply coming back, or added through the API)",
        )
    return Prior(key)


def prior_of(parsed: ParsedMail) -> Prior:
    return judge(parsed, seen_lookup(keys_to_look_up(parsed), [parsed.message_id] if parsed.message_id else []))


def skip_row(
    prior: Prior,
    *,
    mailbox: Mailbox | None,
    source: str,
    imap_uid: int | None,
    sender: str,
    subject: str,
    parsed: ParsedMail | None,
) -> InboundMail:
    """The ledger row of a skipped copy (unsaved, for bulk_create or save)."""
    return InboundMail(
        message_key=prior.key,
        mailbox=mailbox,
        source=source,
        imap_uid=imap_uid,
        sender=sender[:320],
        subject=subject[:500],
        outcome=InboundOutcome.DUPLICATE,
        note=prior.note,
        automatic=parsed.automatic[:40] if parsed else "",
        content_digest=parsed.content_digest if parsed else "",
        auth_verdict=parsed.auth_verdict if parsed else "",
        auth_summary=parsed.auth_summary if parsed else "",
    )
