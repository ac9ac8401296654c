"""Mailbox configuration writes: create, update, credentials and the inbound token."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.netguard import HostRefused, host_check, host_normalize
from supportloop.core.services import event_record, model_update
from supportloop.customers.services import normalize_email
from supportloop.mail.choices import ClosedTicketRule, ImapSecurity
from supportloop.mail.crypto import secret_encrypt
from supportloop.mail.models import Mailbox

EDITABLE = {
    "name",
    "is_active",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_folder",
    "imap_processed_folder",
    "imap_username",
    "imap_password_env",
    "autoresponder_enabled",
    "autoresponder_templates",
    "expected_response_time",
    "help_center_url",
    "closed_ticket_rule",
    "rate_limit_messages",
    "rate_limit_window_minutes",
    "autoresponder_max_per_hour",
}


def _check(values: dict[str, Any]) -> None:
    unknown = set(values) - EDITABLE
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", errors=dict.fromkeys(sorted(unknown), "unknown field")
        )
    if "imap_security" in values and values["imap_security"] not in ImapSecurity.values:
        raise ValidationFailed("Unknown IMAP security.", errors={"imap_security": "unknown"})
    if "closed_ticket_rule" in values and values["closed_ticket_rule"] not in ClosedTicketRule.values:
        raise ValidationFailed("Unknown closed-ticket rule.", errors={"closed_ticket_rule": "unknown"})
    templates = values.get("autoresponder_templates")
    if templates is not None and (
        not isinstance(templates, dict)
        or not all(isinstance(v, dict) and set(v) <= {"subject", "body"} for v in templates.values())
    ):
        raise ValidationFailed(
            'Templates are {"<language>": {"subject": "...", "body": "..."}}.',
            errors={"autoresponder_templates": "invalid shape"},
        )


CONNECTION_FIELDS = {"imap_host", "imap_security"}


def mailbox_host_check(*, host: str, security: str) -> None:
    """Refuse an IMAP host inside the server's network (core.netguard; private and loopback only with
    SUPPORTLOOP_ALLOW_PRIVATE_HOSTS) and security `none` anywhere but on loopback. Raises ValidationFailed naming
    the field. The poller checks again when it connects (mail/imap.py): DNS may answer differently by then."""
    if not host:
        return
    try:
        host_check(host, loopback_only=security == ImapSecurity.NONE)
    except HostRefused as exc:
        if exc.category == "not-loopback":
            message = f"Security 'none' sends the password unencrypted; it is allowed only on loopback. {exc.message}"
            raise ValidationFailed(message, errors={"imap_security": message}) from exc
        raise ValidationFailed(f"IMAP host: {exc.message}", errors={"imap_host": exc.message}) from exc


@transaction.atomic
def mailbox_create(
    *, address: str, name: str = "", password: str = "", actor: User | None = None, **values: Any
) -> Mailbox:
    _check(values)
    if "imap_host" in values:
        values["imap_host"] = host_normalize(values["imap_host"])
    mailbox_host_check(host=values.get("imap_host", ""), security=values.get("imap_security", ImapSecurity.SSL))
    address = normalize_email(address, field="address")
    if Mailbox.objects.filter(address=address).exists():
        raise Conflict(f"A mailbox for {address} exists.", errors={"address": "taken"})
    mailbox = Mailbox(address=address, name=name or address, **values)
    if password:
        mailbox.imap_password_encrypted = secret_encrypt(password)
    mailbox.save()
    event_record(
        actor=actor,
        verb="mailbox.created",
        target=mailbox,
        changes={"address": [None, address], "imap_host": [None, mailbox.imap_host]},
    )
    return mailbox


@transaction.atomic
def mailbox_update(
    *, mailbox: Mailbox, actor: User | None = None, password: str | None = None, **values: Any
) -> Mailbox:
    _check(values)
    if "imap_host" in values:
        values["imap_host"] = host_normalize(values["imap_host"])
    if any(values.get(f, getattr(mailbox, f)) != getattr(mailbox, f) for f in CONNECTION_FIELDS & set(values)):
        mailbox_host_check(
            host=values.get("imap_host", mailbox.imap_host), security=values.get("imap_security", mailbox.imap_security)
        )
    touch: dict[str, Any] = {"updated_at": timezone.now()}
    if password is not None:
        touch["imap_password_encrypted"] = secret_encrypt(password)
    if any(
        values.get(f, getattr(mailbox, f)) != getattr(mailbox, f) for f in ("imap_host", "imap_folder", "imap_username")
    ):
        # Another folder or server: UIDs mean something else there.
        touch["imap_uidvalidity"] = None
        touch["imap_last_uid"] = 0
    changes = model_update(mailbox, values, allowed_fields=EDITABLE, touch=touch, force=password is not None)
    if password is not None:
        changes["imap_password"] = ["***", "***"]  # never the secret in the audit trail
    if changes:
        event_record(actor=actor, verb="mailbox.updated", target=mailbox, changes=changes)
    return mailbox


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def mailbox_rotate_inbound_token(*, mailbox: Mailbox, actor: User | None = None) -> str:
    """A new secret for the raw-MIME endpoint; returned once, only its hash is stored."""
    token = secrets.token_urlsafe(32)
    mailbox.inbound_token_hash = token_hash(token)
    mailbox.updated_at = timezone.now()
    mailbox.save(update_fields=["inbound_token_hash", "updated_at"])
    event_record(actor=actor, verb="mailbox.token_rotated", target=mailbox)
    return token
