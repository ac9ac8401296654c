"""Chat messages about a ticket: a template with placeholders ({ticket.subject}, {ticket.url}, ...) rendered with
the ticket's values, and the payloads Slack (Block Kit, incoming webhooks) and Microsoft Teams (Adaptive Card,
workflow webhooks) accept.

The template is the admin's own text and may use the chat's formatting (Slack mrkdwn links such as
<https://status.example|status page>); the values come from customers (a subject, a name) and are escaped so
they show as typed and cannot add a mention (<!channel>), a link or markup:

- Slack: & < > become &amp; &lt; &gt; (what Slack asks for, https://api.slack.com/reference/surfaces/formatting),
  so no <...> control sequence can be formed; formatting characters (* _ ~ `) are left, they only style text.
- Teams: Adaptive Card markdown characters (* _ [ ] ( ) # and the like) are backslash-escaped, so a subject
  cannot become a link or a heading; TextBlocks render no HTML, so < > stay as they are.

This module builds data only; sending is services/webhooks.py's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse

from supportloop.core.errors import ValidationFailed
from supportloop.tickets.models import Ticket

PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")
SLACK_TEXT_LIMIT = 3000  # a section block's text
TEAMS_TEXT_LIMIT = 20000

PLACEHOLDERS: dict[str, Callable[[Ticket], Any]] = {
    "ticket.number": lambda t: t.number,
    "ticket.subject": lambda t: t.subject,
    "ticket.status": lambda t: t.get_status_display(),
    "ticket.priority": lambda t: t.get_priority_display(),
    "ticket.channel": lambda t: t.get_channel_display(),
    "ticket.url": lambda t: _url(t),
    "ticket.team": lambda t: t.team.name if t.team is not None else "",
    "ticket.assignee": lambda t: str(t.assignee) if t.assignee is not None else "",
    "requester.name": lambda t: str(t.requester),
    "company.name": lambda t: t.company.name if t.company is not None else "",
}


def ticket_url(number: int) -> str:
    """The ticket's page as an absolute address (chat messages and webhook payloads link to it)."""
    return settings.SITE_URL.rstrip("/") + reverse("web:ticket", args=[number])


def _url(ticket: Ticket) -> str:
    return ticket_url(ticket.number)


def template_check(template: str, *, field: str = "template") -> None:
    """ValidationFailed naming the unknown placeholders, so a typo is refused when the rule is saved."""
    unknown = sorted({name for name in PLACEHOLDER.findall(template) if name not in PLACEHOLDERS})
    if unknown:
        known = ", ".join("{" + k + "}" for k in PLACEHOLDERS)
        raise ValidationFailed(
            f"Unknown placeholders: {', '.join('{' + u + '}' for u in unknown)}. Known: {known}.",
            errors={field: "unknown placeholder: " + ", ".join(unknown)},
        )


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TEAMS_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!>|~])")


def teams_escape(text: str) -> str:
    return _TEAMS_MARKDOWN.sub(r"\\\1", text)


def template_render(template: str, ticket: Ticket, *, escape: Callable[[str], str]) -> str:
    """The template with each placeholder replaced by the ticket's value, escaped; the URL is ours, not escaped."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        text = str(PLACEHOLDERS[name](ticket))
        return text if name == "ticket.url" else escape(text)

    return PLACEHOLDER.sub(value, template)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_payload(template: str, ticket: Ticket) -> dict[str, Any]:
    """An incoming-webhook message: a mrkdwn section with the rendered template and a context line linking the
    ticket; `text` is the notification fallback."""
    text = _clip(template_render(template, ticket, escape=slack_escape), SLACK_TEXT_LIMIT)
    link = f"<{_url(ticket)}|#{ticket.number}> · {slack_escape(ticket.get_priority_display())}"
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": link}]},
        ],
    }


def teams_payload(template: str, ticket: Ticket) -> dict[str, Any]:
    """A Teams workflow ("When a Teams webhook request is received") message: one Adaptive Card attachment with
    the rendered template and a button opening the ticket."""
    text = _clip(template_render(template, ticket, escape=teams_escape), TEAMS_TEXT_LIMIT)
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [{"type": "TextBlock", "text": text, "wrap": True}],
                    "actions": [
                        {"type": "Action.OpenUrl", "title": f"Open ticket #{ticket.number}", "url": _url(ticket)}
                    ],
                },
            }
        ],
    }
