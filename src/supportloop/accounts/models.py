"""People who use supportloop, their teams and their API tokens."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportloop.accounts.choices import Role


class User(AbstractUser):
    """A member of the workspace: an agent, a lead, a product manager, an admin or a read-only viewer."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    language = models.CharField(_("interface language"), max_length=10, blank=True,
                                choices=settings.LANGUAGES)
    signature = models.TextField(_("signature"), blank=True)

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

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token that acts as its user. Only a SHA-256 hash of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
