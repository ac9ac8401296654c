"""The sign-in throttle: failed attempts per account and per client address, counted where every process and
host sees them (core/ratelimit.py), and a record of every failure and lockout for admins (SignInFailure).

An attempt is counted BEFORE the password is checked and taken back if it succeeds, so parallel requests on
any number of workers cannot get more than the limit of guesses through (counting after the check, as the old
per-process counter and django-axes do, lets every worker slip tries in while the password hash runs; see
docs/decisions/0004-sign-in-throttle.md). Once over a limit, no password is checked at all, for known and
unknown names alike: the answer and its timing say nothing about whether the account exists.

Limits: SUPPORTLOOP_SIGN_IN_ACCOUNT_LIMIT failures per account name (as typed, case-insensitive) and
SUPPORTLOOP_SIGN_IN_ADDRESS_LIMIT per client address (core.clients), per SUPPORTLOOP_SIGN_IN_WINDOW seconds. The
refusal says when to retry (the counter's window). Every failure and lockout is also an audit Event.

After the password (Django's user_logged_in, any entry point): `signed_in` marks the session's pending two-factor
step (accounts.middleware.SignInStepsMiddleware then lets it reach only that step), writes its row in the user's list
of sessions and the sign-in event; `second_factor_check` is the code step. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from supportloop.accounts.choices import SignInChannel, SignInOutcome
from supportloop.accounts.models import SignInFailure, User
from supportloop.core import ratelimit
from supportloop.core.clients import address_bucket, client_address
from supportloop.core.services import event_record

# The session's pending sign-in step, set at sign-in (accounts.middleware lets such a session reach only that step):
STEP_KEY = "sl_sign_in_step"
STEP_VERIFY = "verify"  # the password was right; the authenticator's (or a recovery) code is still due
STEP_ENROL = "enrol"  # the password was right; the role must use two-factor sign-in and the user has no device yet
SEEN_KEY = "sl_seen"  # Unix time this session's row in the list of sessions was last written


def locked_message(retry_after: int) -> str:
    """The refusal, saying when to try again (minutes, rounded up)."""
    minutes = max(1, -(-retry_after // 60))
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def account_key(username: str) -> str:
    name = username.strip().casefold()
    if len(name) > 100 or not name.isprintable():
        name = "#" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"sign-in:account:{name}"


def address_key(address: str) -> str:
    return f"sign-in:address:{address_bucket(address)}"


@dataclass
class Attempt:
    username: str
    address: str
    refused_by: str = ""  # "account" or "address" when the attempt was refused without checking the password
    retry_after: int = 0  # seconds until the refusing window closes


def failure_record(*, channel: str, outcome: str, username: str, address: str, detail: str = "") -> SignInFailure:
    """Write one SignInFailure row (in its own statement: it must outlive a refused request)."""
    username = username.replace("\x00", "")[:150]
    user = User.objects.filter(username__iexact=username).first() if username else None
    failure = SignInFailure.objects.create(
        channel=channel, outcome=outcome, username=username, user=user, address=address[:64], detail=detail[:200]
    )
    # The audit trail has every failure too (never the password: it is not in the row). Its target is the failure
    # row, which names the account when the name is a known one.
    event_record(
        actor=None,
        actor_label=f"sign-in {channel}",
        verb="sign_in.locked_out" if outcome == SignInOutcome.LOCKED_OUT else "sign_in.failed",
        target=failure,
        changes={"outcome": [None, outcome], "user": [None, user.pk if user else None], "address": [None, address]},
    )
    return failure


def attempt_begin(request, username: str) -> Attempt:
    """Count a sign-in attempt against the account and the address before its password is checked."""
    window = settings.SUPPORTLOOP_SIGN_IN_WINDOW
    attempt = Attempt(username=username, address=client_address(request))
    account = ratelimit.hit(account_key(username), limit=settings.SUPPORTLOOP_SIGN_IN_ACCOUNT_LIMIT, window=window)
    if not account.allowed:
        attempt.refused_by = "account"
        attempt.retry_after = account.retry_after
        if account.count == account.limit + 1:
            failure_record(
                channel=SignInChannel.WEB,
                outcome=SignInOutcome.LOCKED_OUT,
                username=username,
                address=attempt.address,
                detail=f"account locked: {account.limit} failures within {window} s",
            )
        return attempt
    address = ratelimit.hit(
        address_key(attempt.address), limit=settings.SUPPORTLOOP_SIGN_IN_ADDRESS_LIMIT, window=window
    )
    if not address.allowed:
        ratelimit.undo(account_key(username))  # no password was checked: not a guess at this account
        attempt.refused_by = "address"
        attempt.retry_after = address.retry_after
        if address.count == address.limit + 1:
            failure_record(
                channel=SignInChannel.WEB,
                outcome=SignInOutcome.LOCKED_OUT,
                username=username,
                address=attempt.address,
                detail=f"address locked: {address.limit} failures within {window} s",
            )
    return attempt


def attempt_failed(attempt: Attempt) -> None:
    failure_record(
        channel=SignInChannel.WEB, outcome=SignInOutcome.FAILED, username=attempt.username, address=attempt.address
    )


def attempt_succeeded(attempt: Attempt) -> None:
    """The account's failures are forgiven; the address keeps its other failures, minus this attempt."""
    ratelimit.clear(account_key(attempt.username))
    ratelimit.undo(address_key(attempt.address))


def attempt_abandoned(attempt: Attempt) -> None:
    """No password was checked (a field was missing): the attempt does not count."""
    ratelimit.undo(account_key(attempt.username))
    ratelimit.undo(address_key(attempt.address))


if TYPE_CHECKING:
    from django.contrib.auth.forms import AuthenticationForm

    _FormBase = AuthenticationForm
else:
    _FormBase = object


class ThrottledAuthenticationMixin(_FormBase):
    """For Django's AuthenticationForm and its subclasses (the sign-in page, the admin's login)."""

    def clean(self) -> dict[str, Any]:
        username = self.data.get("username", "") or ""
        if not username or not self.data.get("password"):
            return super().clean()  # the missing field's own error; nothing was guessed
        attempt = attempt_begin(self.request, username)
        if attempt.refused_by:
            raise ValidationError(locked_message(attempt.retry_after), code="throttled")
        try:
            data = super().clean()
        except ValidationError:
            attempt_failed(attempt)
            raise
        if getattr(self, "user_cache", None) is None:
            attempt_abandoned(attempt)
        else:
            attempt_succeeded(attempt)
        return data


# -- after the password: the session's next step, its row in the list of sessions, the second factor ----------------


def signed_in(request, user: User) -> None:
    """Django's user_logged_in (any sign-in: the page, the admin's login, a test client's force_login): decide the
    session's pending step, write its row in the user's list of sessions and the audit event."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from supportloop.accounts.selectors import two_factor_roles
    from supportloop.accounts.services.security import sign_in_record

    if request is None or not hasattr(request, "session"):
        return
    step = ""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        step = STEP_VERIFY
    elif user.role in two_factor_roles():
        step = STEP_ENROL
    if step:
        request.session[STEP_KEY] = step
    else:
        request.session.pop(STEP_KEY, None)
    request.session[SEEN_KEY] = int(time.time())
    if request.session.session_key is None:
        request.session.save()
    sign_in_record(
        user=user,
        address=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        session_key=request.session.session_key or "",
        next_step=step,
    )


def signed_out(request, user: User | None) -> None:
    from supportloop.accounts.services.security import user_session_forget

    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        user_session_forget(session_key=session.session_key)


def second_factor_key(user: User) -> str:
    return f"sign-in:second-factor:{user.pk}"


@dataclass
class SecondFactorResult:
    method: str = ""  # "totp" or "recovery_code" when the code was accepted
    refused: bool = False  # too many wrong codes: not checked
    retry_after: int = 0


def second_factor_check(request, code: str) -> SecondFactorResult:
    """Check the code of a session whose password step passed: the authenticator's current code (each used once:
    django-otp keeps the last accepted time step) or one unused recovery code. Wrong codes count per account in the
    shared counters, as wrong passwords do; past SUPPORTLOOP_TWO_FACTOR_LIMIT no code is checked for the rest of the
    window. On success the session's pending step ends (django_otp.login records the device in the session)."""
    import django_otp
    from django.db import transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from supportloop.accounts.models import RecoveryCode, RecoveryDevice
    from supportloop.accounts.services.security import sign_in_verified_record

    user = request.user
    address = client_address(request)
    window = settings.SUPPORTLOOP_SIGN_IN_WINDOW
    counted = ratelimit.hit(second_factor_key(user), limit=settings.SUPPORTLOOP_TWO_FACTOR_LIMIT, window=window)
    if not counted.allowed:
        if counted.count == counted.limit + 1:
            failure_record(
                channel=SignInChannel.WEB,
                outcome=SignInOutcome.LOCKED_OUT,
                username=user.username,
                address=address,
                detail=f"second factor locked: {counted.limit} wrong codes within {window} s",
            )
        return SecondFactorResult(refused=True, retry_after=counted.retry_after)
    code = "".join(code.split())
    device: Any = None
    method = ""
    if code.isdigit() and len(code) == 6:
        with transaction.atomic():  # the row lock makes "each code once" hold between parallel requests
            for totp in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
                if totp.verify_token(code):
                    device, method = totp, "totp"
                    break
    else:
        recovery = RecoveryDevice.objects.filter(user=user, confirmed=True).first()
        if recovery is not None and recovery.verify_token(code):
            device, method = recovery, "recovery_code"
    if device is None:
        failure_record(
            channel=SignInChannel.WEB,
            outcome=SignInOutcome.SECOND_FACTOR,
            username=user.username,
            address=address,
            detail="wrong two-factor or recovery code",
        )
        return SecondFactorResult()
    ratelimit.clear(second_factor_key(user))
    django_otp.login(request, device)
    request.session.pop(STEP_KEY, None)
    codes_left = None
    if method == "recovery_code":
        codes_left = RecoveryCode.objects.filter(device=device, used_at__isnull=True).count()
    sign_in_verified_record(user=user, method=method, address=address, codes_left=codes_left)
    return SecondFactorResult(method=method)
