"""The search index: one row per searchable ticket, contact, company or feedback item.

Rows are derived data, written only by `search.engine` (from the services' index hook and `search_rebuild`).
On PostgreSQL `vector` holds the weighted tsvector (GIN index, migration 0001); on SQLite the same text lives in
the FTS5 table `search_fts` (rowid = this row's id), created by the migration only there.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    """What one object reads like to search: its title, its text, its language and when it last changed."""

    kind = models.CharField(_("kind"), max_length=10)
    object_id = models.BigIntegerField(_("object id"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    title = models.TextField(_("title"), blank=True)
    body = models.TextField(_("text"), blank=True)
    sort_at = models.DateTimeField(_("last changed"), default=timezone.now)
    vector = SearchVectorField(null=True, blank=True)  # PostgreSQL only; NULL on SQLite

    class Meta:
        ordering = ["kind", "object_id"]
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="%(app_label)s_%(class)s_unique_object")
        ]
        # The newest indexed change per kind (the index lag, search.selectors.index_lag).
        indexes = [models.Index("kind", "sort_at", name="search_doc_kind_sort_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class RebuildProgress(models.Model):
    """Where `search_rebuild` stands for one kind, so an interrupted rebuild resumes after the last batch."""

    kind = models.CharField(_("kind"), max_length=10, primary_key=True)
    last_id = models.BigIntegerField(_("last id indexed"), default=0)
    total = models.BigIntegerField(_("objects to index"), default=0)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("search rebuild progress")
        verbose_name_plural = _("search rebuild progress")

    def __str__(self) -> str:
        return f"{self.kind}: up to {self.last_id}"
