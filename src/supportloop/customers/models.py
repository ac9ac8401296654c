"""The customers who write to support: companies and the contacts who work there."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportloop.customers.choices import Plan


class Company(models.Model):
    """A paying (or free) customer organisation, matched to contacts by email domain."""

    name = models.CharField(_("name"), max_length=200)
    plan = models.CharField(_("plan"), max_length=20, choices=Plan.choices, default=Plan.FREE)
    mrr = models.DecimalField(_("monthly recurring revenue"), max_digits=12, decimal_places=2, default=Decimal("0"))
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, db_index=True)
    # Position in the /changes feed, set by every service that changes the company (core.services.change_seq_next).
    change_seq = models.BigIntegerField(_("change sequence"), default=0)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [models.Index("change_seq", "id", name="customers_company_changes_idx")]

    def __str__(self) -> str:
        return self.name


class CompanyDomain(models.Model):
    """An email domain that identifies a company's contacts (lower case, unique across companies)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("domain"), max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]
        verbose_name = _("company domain")

    def __str__(self) -> str:
        return self.domain


class Contact(models.Model):
    """A person who writes to support; may belong to a company."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    language = models.CharField(_("language"), max_length=10, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, db_index=True)
    # Position in the /changes feed, set by every service that changes the contact.
    change_seq = models.BigIntegerField(_("change sequence"), default=0)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index("change_seq", "id", name="customers_contact_changes_idx")]

    def __str__(self) -> str:
        return self.name or (self.primary_email or f"contact {self.pk}")

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0]

    @property
    def primary_email(self) -> str:
        emails = getattr(self, "_prefetched_objects_cache", {}).get("emails")
        if emails is not None:
            return emails[0].email if emails else ""
        first = self.emails.order_by("id").first()
        return first.email if first else ""


class ContactEmail(models.Model):
    """One email address of a contact, stored lower-cased and unique."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("email"), max_length=254, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("contact email")

    def __str__(self) -> str:
        return self.email


class CustomerNote(models.Model):
    """An internal note on a company or a contact, never shown to the customer."""

    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.CASCADE, related_name="notes")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer note")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(company__isnull=False) | models.Q(contact__isnull=False),
                name="%(app_label)s_%(class)s_has_subject",
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]


class BouncedAddress(models.Model):
    """An email address whose mail bounced: the latest failure, and for a permanent one until when automatic mail
    (acknowledgements, notices) must not go to it. Keyed by the address, not the contact: followers and people
    who are no contact bounce too; a contact's addresses are matched by equality."""

    email = models.CharField(_("email"), max_length=254, unique=True)
    permanent = models.BooleanField(_("permanent failure"), default=True)
    status = models.CharField(
        _("status code"),
        max_length=20,
        blank=True,
        help_text=_("RFC 3463 status such as 5.1.1, or the SMTP reply code."),
    )
    diagnostic = models.TextField(_("diagnostic"), blank=True)
    remote_mta = models.CharField(_("remote mail server"), max_length=255, blank=True)
    bounced_at = models.DateTimeField(_("last bounce"), default=timezone.now)
    suppressed_until = models.DateTimeField(
        _("automatic mail suppressed until"),
        null=True,
        blank=True,
        help_text=_("Set by a permanent failure; empty when nothing is suppressed (or an admin lifted it)."),
    )
    bounce_count = models.PositiveIntegerField(_("bounces"), default=1)
    created_at = models.DateTimeField(_("first bounce"), default=timezone.now)

    class Meta:
        ordering = ["-bounced_at", "-id"]
        verbose_name = _("bounced address")
        verbose_name_plural = _("bounced addresses")

    def __str__(self) -> str:
        return f"{self.email} ({self.status or 'bounce'})"

    def suppressed(self, now=None) -> bool:
        return self.suppressed_until is not None and self.suppressed_until > (now or timezone.now())
