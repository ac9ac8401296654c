"""Data the web pages keep for their users: saved inbox views."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """An inbox filter a user saved under a name; `query` is the inbox's own query string, `q` a search in the
    query language (run by the search engine, the inbox then filters and sorts its matches). Shared with `team`,
    its members see it in their sidebar too; only its owner removes it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=500, blank=True)
    q = models.CharField(_("search"), max_length=500, blank=True, default="")
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,  # the team goes, the owner keeps the view
        null=True,
        blank=True,
        related_name="saved_views",
        verbose_name=_("shared with"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    current: bool  # not a column: the inbox marks the view its page shows now
    link: str  # not a column: the inbox's query string for this view (filters and search)
    count: int | None  # not a column: its tickets from TicketRollup, None when its filters are not countable there

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class InboxPreference(models.Model):
    """The inbox sort and view a user chose last, so the inbox opens the way they left it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="inbox_preference"
    )
    sort = models.CharField(_("sort"), max_length=20, blank=True)
    view = models.CharField(_("view"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["user"]
        verbose_name = _("inbox preference")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.view or 'all'} / {self.sort or 'default'}"
