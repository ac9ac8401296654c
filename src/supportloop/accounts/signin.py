"""The sign-in throttle: failed attempts per account and per client address, counted where every process and
host sees them (core/ratelimit.py), and a record of every failure and lockout for admins (SignInFailure).

An attempt is counted BEFORE the password is checked and taken back if it succeeds, so parallel requests on
any number of workers cannot get more than the limit of guesses through (counting after the check, as the old
per-process counter and django-axes do, lets every worker slip tries in while the password hash runs; see
docs/decisions/0004-sign-in-throttle.md). Once over a limit, no password is checked at all, for known and
unknown names alike: the answer and its timing say nothing about whether the account exists.

Limits: SUPPORTLOOP_SIGN_IN_ACCOUNT_LIMIT failures per account name (as typed, case-insensitive) and
SUPPORTLOOP_SIGN_IN_ADDRESS_LIMIT per client address (core.clients), per SUPPORTLOOP_SIGN_IN_WINDOW seconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from supportloop.accounts.choices import SignInChannel, SignInOutcome
from supportloop.accounts.models import SignInFailure, User
from supportloop.core import ratelimit
from supportloop.core.clients import address_bucket, client_address

LOCKED_MESSAGE = _("Too many failed sign-in attempts. Wait 15 minutes and try again.")


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


def failure_record(*, channel: str, outcome: str, username: str, address: str, detail: str = "") -> SignInFailure:
    """Write one SignInFailure row (in its own statement: it must outlive a refused request)."""
    username = username.replace("\x00", "")[:150]
    user = User.objects.filter(username__iexact=username).first() if username else None
    return SignInFailure.objects.create(
        channel=channel, outcome=outcome, username=username, user=user, address=address[:64], detail=detail[:200]
    )


def attempt_begin(request, username: str) -> Attempt:
    """Count a sign-in attempt against the account and the address before its password is checked."""
    window = settings.SUPPORTLOOP_SIGN_IN_WINDOW
    attempt = Attempt(username=username, address=client_address(request))
    account = ratelimit.hit(account_key(username), limit=settings.SUPPORTLOOP_SIGN_IN_ACCOUNT_LIMIT, window=window)
    if not account.allowed:
        attempt.refused_by = "account"
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
            raise ValidationError(LOCKED_MESSAGE, code="throttled")
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
