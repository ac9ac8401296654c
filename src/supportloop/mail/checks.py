"""System checks for mail settings (`supportloop check --deploy`)."""
from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def mail_checks(app_configs=None, **kwargs):
    issues = []
    if not (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"):
        issues.append(Warning(
            "ANYMAIL_WEBHOOK_SECRET is not set: provider inbound webhooks under /mail/inbound/<esp>/ are not "
            "authenticated with basic auth.", id="supportloop.W501"))
    if not getattr(settings, "SUPPORTLOOP_CREDENTIALS_KEY", None):
        issues.append(Warning(
            "SUPPORTLOOP_CREDENTIALS_KEY is not set: stored IMAP passwords are encrypted with a key derived from "
            "SECRET_KEY and become unreadable if SECRET_KEY changes.", id="supportloop.W502"))
    return issues
