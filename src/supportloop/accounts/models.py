"""People who use supportloop, their teams and their API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.accounts.choices import Role, SignInChannel, SignInOutcome


class User(AbstractUser):
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
