"""What privacy keeps: legal holds that block erasure and retention, and the workspace's retention settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.privacy.choices import RetentionAction


class LegalHold(models.Model):
    """A legal hold on a contact or a company: while it exists, their data may be neither erased nor removed by
    retention (litigation, an authority's request). Lifting it deletes the row (audited)."""

    contact = models.OneToOneField(
        "customers.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="legal_hold"
    )
    company = models.OneToOneField(
        "customers.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="legal_hold"
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("set"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False, company__isnull=True)
                | models.Q(contact__isnull=True, company__isnull=False),
                name="%(app_label)s_%(class)s_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"hold on {'contact ' + str(self.contact_id) if self.contact_id else 'company ' + str(self.company_id)}"


class RetentionSettings(models.Model):
    """The workspace's retention rule (one row, pk 1): closed tickets older than `days` are anonymised or deleted
    by the daily job. Off until an admin turns it on."""

    enabled = models.BooleanField(_("enabled"), default=False)
    days = models.PositiveIntegerField(_("keep closed tickets for (days)"), default=730)
    action = models.CharField(
        _("then"), max_length=10, choices=RetentionAction.choices, default=RetentionAction.ANONYMISE
    )
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("retention settings")
        verbose_name_plural = _("retention settings")

    def __str__(self) -> str:
        return f"retention {'on' if self.enabled else 'off'}: {self.action} after {self.days} days"
