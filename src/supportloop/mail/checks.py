"""System checks for mail settings (`supportloop check --deploy`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def mail_checks(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    issues: list[CheckMessage] = []
    if not (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"):
        issues.append(
            Error(
                "ANYMAIL_WEBHOOK_SECRET is not set: provider inbound webhooks under /mail/inbound/<esp>/ are "
                "turned off (they answer 404), because without it anyone could post mail that opens tickets and "
                "gets answered.",
                hint="Set ANYMAIL_WEBHOOK_SECRET to a long random 'user:password' and give providers "
                "https://user:password@<host>/mail/inbound/<esp>/ (set it even if you read mail over IMAP only).",
                id="supportloop.E501",
            )
        )
    if not getattr(settings, "SUPPORTLOOP_AUTHSERV_ID", None):
        issues.append(
            Warning(
                "SUPPORTLOOP_AUTHSERV_ID is not set: supportloop cannot read your mail server's SPF/DKIM/DMARC "
                "verdict, so acknowledgements quote subjects of senders that may be forged and every follower "
                "named in mail waits for an agent's approval.",
                hint="Set it to the authserv-id your receiving MTA or inbound provider writes in "
                "Authentication-Results.",
                id="supportloop.W503",
            )
        )
    if not getattr(settings, "SUPPORTLOOP_CREDENTIALS_KEY", None):
        issues.append(
            Warning(
                "SUPPORTLOOP_CREDENTIALS_KEY is not set: stored IMAP passwords are encrypted with a key derived from "
                "SECRET_KEY and become unreadable if SECRET_KEY changes.",
                id="supportloop.W502",
            )
        )
    return issues
