"""Writes for two-factor sign-in (TOTP devices and recovery codes), browser sessions, password resets and the
workspace's security settings. Each records one audit event in its transaction.

The sign-in steps themselves (counting attempts, the session's pending step) live in accounts/signin.py; this
module never reads a request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from supportloop.accounts.choices import Role
from supportloop.accounts.models import RecoveryCode, RecoveryDevice, SecuritySettings, User, UserSession
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.services import event_record

RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt


def security_settings_load() -> SecuritySettings:
    settings_row, _created = SecuritySettings.objects.get_or_create(pk=1)
    return settings_row


@transaction.atomic
def security_settings_update(*, two_factor_roles: list[str], actor: User) -> SecuritySettings:
    """Say which roles must sign in with a second factor (takes effect at each member's next sign-in)."""
    unknown = sorted(set(two_factor_roles) - set(Role.values))
    if unknown:
        raise ValidationFailed(f"Unknown roles: {', '.join(unknown)}.", errors={"two_factor_roles": "unknown role"})
    row = SecuritySettings.objects.select_for_update().get(pk=security_settings_load().pk)
    before = list(row.two_factor_roles)
    after = [role for role in Role.values if role in set(two_factor_roles)]
    if before != after:
        row.two_factor_roles = after
        row.updated_at = timezone.now()
        row.save(update_fields=["two_factor_roles", "updated_at"])
        event_record(
            actor=actor, verb="security_settings.updated", target=row, changes={"two_factor_roles": [before, after]}
        )
    return row


# -- TOTP enrolment ---------------------------------------------------------------------------------------------------


def totp_enrolment_begin(*, user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator (a new secret the first time, the same one on a reload, so the QR code
    the person already scanned stays valid). Nothing is enabled yet, so nothing is audited until the confirmation."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise Conflict("Two-factor sign-in is already on.", errors={"code": "already enabled"})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def totp_enrolment_confirm(*, user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on once the person proves their app shows the right code; return the new recovery
    codes (shown once, stored hashed)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        raise Conflict("Start the set-up again: no pending authenticator.", errors={"code": "no pending set-up"})
    if not device.verify_token(code.strip().replace(" ", "")):
        raise ValidationFailed(
            "That code is not right. Check the time on your phone and try the current code.",
            errors={"code": "wrong code"},
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    codes = _recovery_codes_replace(user=user)
    event_record(actor=user, verb="two_factor.enabled", target=user, changes={"method": [None, "totp"]})
    return codes


@transaction.atomic
def two_factor_disable(*, user: User, password: str, actor: User) -> None:
    """Turn two-factor sign-in off (the password is asked again: a borrowed open session cannot do it)."""
    if not user.check_password(password):
        raise ValidationFailed("Wrong password.", errors={"password": "wrong password"})
    if user.role in (security_settings_load().two_factor_roles or []):
        raise Conflict("Your role must use two-factor sign-in.", errors={"password": "required for your role"})
    removed, _detail = TOTPDevice.objects.filter(user=user).delete()
    RecoveryDevice.objects.filter(user=user).delete()
    if removed:
        event_record(actor=actor, verb="two_factor.disabled", target=user, changes={"method": ["totp", None]})


@transaction.atomic
def recovery_codes_regenerate(*, user: User, password: str) -> list[str]:
    """New recovery codes; the old ones stop working. The password is asked again."""
    if not user.check_password(password):
        raise ValidationFailed("Wrong password.", errors={"password": "wrong password"})
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise Conflict("Turn two-factor sign-in on first.", errors={"password": "two-factor sign-in is off"})
    codes = _recovery_codes_replace(user=user)
    event_record(actor=user, verb="two_factor.recovery_codes_regenerated", target=user)
    return codes


def _recovery_codes_replace(*, user: User) -> list[str]:
    RecoveryDevice.objects.filter(user=user).delete()
    device = RecoveryDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(device=device, code_hash=hashlib.sha256(c.replace("-", "").encode()).hexdigest()) for c in codes]
    )
    return codes


# -- browser sessions -------------------------------------------------------------------------------------------------


def _session_store_delete(session_key: str) -> None:
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore(session_key=session_key).delete(session_key)


@transaction.atomic
def user_session_record(*, user: User, session_key: str, address: str, user_agent: str) -> UserSession:
    """A sign-in's row in the user's list of sessions (the key is new: Django cycles it at sign-in). The user's rows
    of sessions that expired on their own (not seen for SESSION_COOKIE_AGE) go at the same time."""
    now = timezone.now()
    UserSession.objects.filter(
        user=user, last_seen_at__lt=now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    ).delete()
    row, _created = UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "created_at": now,
            "last_seen_at": now,
            "address": address[:64],
            "user_agent": user_agent[:300],
        },
    )
    return row


def user_session_touch(*, user: User, session_key: str, address: str, user_agent: str) -> None:
    """Last seen now (called at most every SUPPORTLOOP_SESSION_TOUCH_SECONDS per session). A session signed in
    before this list existed gets its row here. Not audited: a page view is not a state change of the account."""
    now = timezone.now()
    updated = UserSession.objects.filter(session_key=session_key, user=user).update(
        last_seen_at=now, address=address[:64]
    )
    if not updated:
        user_session_record(user=user, session_key=session_key, address=address, user_agent=user_agent)


@transaction.atomic
def user_session_password_changed(*, user: User, old_key: str | None, new_key: str | None) -> None:
    """After a password change on the account page: every other session is signed out (Django already refuses
    them, as the password hash changed) and the current one keeps its row under its new key (Django cycles it)."""
    for key in (
        UserSession.objects.filter(user=user).exclude(session_key=old_key or "").values_list("session_key", flat=True)
    ):
        _session_store_delete(key)
    UserSession.objects.filter(user=user).exclude(session_key=old_key or "").delete()
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(user=user, session_key=old_key).update(session_key=new_key)
    event_record(actor=user, verb="user.password_changed", target=user)


def user_session_forget(*, session_key: str) -> None:
    """The session ended by signing out: its row goes (the store deletes the session itself)."""
    UserSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def user_session_revoke(*, session: UserSession, actor: User) -> None:
    """Sign a browser session out from elsewhere: its data leaves the session store, so its cookie is worthless."""
    _session_store_delete(session.session_key)
    event_record(
        actor=actor,
        verb="session.revoked",
        target=session.user,
        changes={"session": [{"address": session.address, "user_agent": session.user_agent[:80]}, None]},
    )
    session.delete()


@transaction.atomic
def user_sessions_revoke_others(*, user: User, keep_session_key: str | None, actor: User) -> int:
    """Sign out every browser session of `user` except `keep_session_key` (the one asking); one event."""
    rows = list(UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or ""))
    for row in rows:
        _session_store_delete(row.session_key)
    UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    if rows:
        event_record(actor=actor, verb="session.revoked_others", target=user, changes={"sessions": [len(rows), 0]})
    return len(rows)


# -- sign-in and password reset audit ---------------------------------------------------------------------------------


@transaction.atomic
def sign_in_record(*, user: User, address: str, user_agent: str, session_key: str, next_step: str) -> None:
    """A correct password: the session's row, and the audit event (`next_step`: "", "verify" or "enrol")."""
    user_session_record(user=user, session_key=session_key, address=address, user_agent=user_agent)
    event_record(
        actor=user,
        verb="sign_in.succeeded",
        target=user,
        changes={"address": [None, address], "second_factor": [None, next_step or "not required"]},
    )


@transaction.atomic
def sign_in_verified_record(*, user: User, method: str, address: str, codes_left: int | None = None) -> None:
    """The second step passed: by the authenticator app ("totp") or a recovery code ("recovery_code")."""
    changes: dict[str, Any] = {"address": [None, address], "method": [None, method]}
    if codes_left is not None:
        changes["recovery_codes_left"] = [codes_left + 1, codes_left]
    verb = "two_factor.recovery_code_used" if method == "recovery_code" else "sign_in.verified"
    event_record(actor=user, verb=verb, target=user, changes=changes)


def password_reset_send(*, email: str, address: str) -> int:
    """Mail a one-use reset link (Django's token: valid PASSWORD_RESET_TIMEOUT seconds, dead once the password
    changes) to every active account with this address and a usable password; audit each. Returns how many were
    mailed, which the caller must not show (the page answers the same for unknown addresses)."""
    from django.contrib.auth.forms import PasswordResetForm

    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return 0
    users = list(form.get_users(form.cleaned_data["email"]))
    for user in users:
        event_record(
            actor=None,
            actor_label="password reset",
            verb="password_reset.requested",
            target=user,
            changes={"address": [None, address]},
        )
    if users:
        site_url = settings.SITE_URL.rstrip("/")
        form.save(
            domain_override=site_url.split("://", 1)[-1],
            use_https=site_url.startswith("https://"),
            subject_template_name="web/email/password_reset_subject.txt",
            email_template_name="web/email/password_reset.txt",
            extra_email_context={"site_url": site_url},
        )
    return len(users)


@transaction.atomic
def password_reset_completed(*, user: User, address: str) -> None:
    """After a reset by email: every browser session of the user ends (Django already refuses them: the password
    hash changed), their rows go, and the event is recorded."""
    for key in UserSession.objects.filter(user=user).values_list("session_key", flat=True):
        _session_store_delete(key)
    UserSession.objects.filter(user=user).delete()
    event_record(actor=user, verb="password_reset.completed", target=user, changes={"address": [None, address]})
