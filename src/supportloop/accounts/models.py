"""People who use supportloop, their teams and their API tokens."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from supportloop.accounts.choices import Role, SignInChannel, SignInOutcome


class User(AbstractUser):  # type: ignore[django-manager-missing]  # django-otp devices (untyped) point here
    """A member of the workspace: an agent, a lead, a product manager, an admin or a read-only viewer."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    language = models.CharField(_("interface language"), max_length=10, blank=True, choices=settings.LANGUAGES)
    signature = models.TextField(_("signature"), blank=True)
    # WCAG 2.1.4: people who use speech input or who type by accident can turn off the single-key shortcuts
    # (j, k, r, ?, ...); arrows, Enter and Ctrl/Cmd+Enter keep working.
    keyboard_shortcuts = models.BooleanField(_("single-key shortcuts"), default=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    """A group of agents that tickets can be routed to."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True, verbose_name=_("members"))
    open_count: int  # not a column: the inbox sidebar's count of the team's active tickets

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token that acts as its user. Only a SHA-256 hash of the secret is stored.

    A read-only token may only read (GET, HEAD), whatever its user's role; a viewer's tokens are always read-only.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    read_only = models.BooleanField(_("read-only"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SignInFailure(models.Model):
    """A failed sign-in (wrong name or password, or a wrong API token) or the start of a lockout, for admins.

    Written by accounts/signin.py outside any request transaction, so a refused sign-in is recorded too. A
    lockout is one row per account or address and window (the first refused attempt); later refusals in the
    same window only count (core_ratecounter).
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=SignInChannel.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=SignInOutcome.choices)
    username = models.CharField(_("name given"), max_length=150, blank=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user")
    )
    address = models.CharField(_("client address"), max_length=64)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.outcome} {self.username or self.channel} {self.address}"


class SecuritySettings(models.Model):
    """The workspace's sign-in rules: one row (pk 1), made with its defaults on first read.

    `two_factor_roles`: the roles whose members must use a second factor (TOTP) to sign in in the browser. A member
    of such a role without a device is sent to enrolment after the password and can reach nothing else until done.
    API tokens are not affected (a token is a credential of its own, created from a signed-in session)."""

    two_factor_roles = models.JSONField(_("roles that must use two-factor sign-in"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("security settings")
        verbose_name_plural = _("security settings")

    def __str__(self) -> str:
        return str(_("Security settings"))


class RecoveryDevice(Device):
    """A user's one-use recovery codes for two-factor sign-in, as a django-otp device.

    Only a SHA-256 hash of each code is stored (the codes carry 50 random bits each, so a fast hash does not make
    them guessable, and checking ten of them stays cheap); a used code is marked and never accepted again."""

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery codes of {self.user_id}"

    def verify_token(self, token: Any) -> bool:
        code = recovery_code_normalise(str(token))
        if not code:
            return False
        digest = hashlib.sha256(code.encode()).hexdigest()
        # One UPDATE both checks and spends the code: two requests racing with the same code cannot both pass.
        return bool(
            RecoveryCode.objects.filter(device=self, code_hash=digest, used_at__isnull=True).update(
                used_at=timezone.now()
            )
        )


def recovery_code_normalise(raw: str) -> str:
    """Codes are shown as xxxxx-xxxxx in lower case; people may type them in upper case, with or without the dash."""
    code = "".join(ch for ch in raw.strip().lower() if ch.isalnum())
    return code if len(code) == 10 else ""


class RecoveryCode(models.Model):
    """One recovery code (hashed) of a RecoveryDevice."""

    device = models.ForeignKey(RecoveryDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="%(app_label)s_%(class)s_unique_code")
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk} ({'used' if self.used_at else 'unused'})"


class UserSession(models.Model):
    """A signed-in browser session of a user, for their list of sessions and its revoke buttons.

    The session data itself stays in Django's session store (the cache and the database, or Redis); this row only
    names its key, so listing a user's sessions does not scan the store. Written at sign-in, its `last_seen_at`
    touched at most every SUPPORTLOOP_SESSION_TOUCH_SECONDS by accounts.middleware; revoking deletes the key from
    the store and the row."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="browser_sessions")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("signed in"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    address = models.CharField(_("client address"), max_length=64, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("browser session")
        verbose_name_plural = _("browser sessions")
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="accounts_usersession_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.address} {self.last_seen_at:%Y-%m-%d %H:%M}"
