"""Cross-domain records: the append-only audit trail and named counters."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event."""


class EventQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused too, not only Event.save()/delete().

    This is the friendly first line; the database refuses them as well (triggers of migrations core 0004 and
    0005, see core/dbguard.py), whatever the client.
    """

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit events are append-only")


class Event(models.Model):
    """One state change: who did what to which object, with the changed fields before and after.

    Written by the service that made the change, inside the same transaction. Never updated or deleted.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # ON DELETE SET NULL is the database's (migration core 0005): deleting a user nulls the actor of their events
    # once the user row is gone, the one UPDATE the append-only triggers allow. The ORM must not issue its own
    # UPDATE first (SET_NULL would, while the user still exists, and be refused), hence DO_NOTHING here.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    verb = models.CharField(_("verb"), max_length=80)
    target_type = models.CharField(_("object type"), max_length=80)
    target_id = models.CharField(_("object id"), max_length=64)
    target_label = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["target_type", "target_id", "id"], name="core_event_target_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or 'system'} {self.verb} {self.target_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:

        raise AppendOnlyError("audit events are append-only")


class Counter(models.Model):
    """A named monotonic counter, e.g. the next ticket number. Incremented under a row lock."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ScheduledRun(models.Model):
    """A periodic job claimed for one period (e.g. the digest for week 2026-W47). The unique pair makes the
    claim: however many schedulers run, and however often they wake, a period's job is enqueued once."""

    job = models.CharField(_("job"), max_length=100)
    period = models.CharField(_("period"), max_length=40)
    created_at = models.DateTimeField(_("claimed"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("scheduled run")
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="core_scheduledrun_unique")]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"


class RateCounter(models.Model):
    """Hits on one rate-limit key (e.g. failed sign-ins for an account, bad API tokens from an address) in the
    window that started with its first hit. Shared by every process and host through the database; see
    core/ratelimit.py. Expired rows are deleted as new windows open."""

    key = models.CharField(_("key"), max_length=200, primary_key=True)
    hits = models.PositiveIntegerField(_("hits"), default=0)
    expires_at = models.FloatField(_("window ends (Unix time)"), db_index=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")

    def __str__(self) -> str:
        return f"{self.key}={self.hits}"


class EventRedaction(models.Model):
    """Leave to rewrite one audit event's `changes` and `target_label`, for an erasure the law requires (GDPR art.
    17). The append-only triggers (migration core 0006) let an UPDATE of an event through only when such a row
    exists for it and nothing but those two columns changes; the row stays as the trace that the event was
    redacted, and by which erasure (`reason` names the erasure's own audit event, never the erased data)."""

    event_id = models.BigIntegerField(_("event"), unique=True)
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("redacted"), default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("event redaction")
        verbose_name_plural = _("event redactions")

    def __str__(self) -> str:
        return f"event {self.event_id}: {self.reason}"
