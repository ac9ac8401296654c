"""Webhooks' and chat integrations' wiring: the delivery task, the every-minute retry pass, the ticket-event
listener, and the rule actions call_webhook, post_to_slack and post_to_teams, all registered by connect()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django_tasks import task

from supportloop.automation.actions import ActionContext, ActionSpec, register_action
from supportloop.automation.choices import ChatKind
from supportloop.core.errors import ValidationFailed
from supportloop.tickets.models import Ticket

CALL_WEBHOOK = "call_webhook"
POST_TO_SLACK = "post_to_slack"
POST_TO_TEAMS = "post_to_teams"


@task()
def webhook_deliver(delivery_id: int, attempt: int) -> str | None:
    """Attempt `attempt` of one delivery; safe to run twice (the second finds the attempt taken)."""
    from supportloop.automation.services.webhooks import webhook_delivery_attempt

    outcome = webhook_delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    return outcome.status if outcome else None


@task()
def webhooks_fan_out(
    kind: str,
    ticket_id: int,
    actor_id: int | None,
    changes: dict[str, Any],
    message_id: int | None,
    source: str,
    occurred_at: str,
) -> int:
    """The deliveries of one ticket event to the endpoints subscribed to it."""
    from supportloop.automation.services.webhooks import webhooks_fan_out as fan_out
    from supportloop.tickets.hooks import TicketEvent

    event = TicketEvent(
        kind=kind, ticket_id=ticket_id, actor_id=actor_id, changes=changes, message_id=message_id, source=source
    )
    return fan_out(event=event, occurred_at=occurred_at)


@task()
def webhook_retry() -> int:
    from supportloop.automation.services.webhooks import webhook_retry_due

    return webhook_retry_due()


def webhook_retry_due_period(now: datetime) -> str | None:
    """Scheduler: the current minute when some pending delivery's next attempt has come."""
    from supportloop.automation.services.webhooks import webhook_retry_is_due

    if not webhook_retry_is_due(now):
        return None
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def webhook_retry_enqueue(period: str) -> None:
    webhook_retry.enqueue()


# -- actions ----------------------------------------------------------------------------------------------------------
def _id_param(params: dict[str, Any], name: str, allowed: set[str]) -> int:
    unknown = set(params) - allowed
    if unknown:
        raise ValidationFailed("Unknown parameters.", errors=dict.fromkeys(sorted(unknown), "unknown parameter"))
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise ValidationFailed(f"Choose the {name}.", errors={name: "required: an id"})
    return int(value)


def _webhook_validate(params: dict[str, Any]) -> dict[str, Any]:
    from supportloop.automation.models import WebhookEndpoint

    endpoint_id = _id_param(params, "endpoint", {"endpoint"})
    if not WebhookEndpoint.objects.filter(pk=endpoint_id).exists():
        raise ValidationFailed("No such webhook endpoint.", errors={"endpoint": "not found"})
    return {"endpoint": endpoint_id}


def _webhook_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    from supportloop.automation.services.webhooks import webhook_rule_delivery

    return webhook_rule_delivery(
        endpoint_id=params["endpoint"], ticket=ticket, rule_label=context.rule_label, event=context.event
    )


def _webhook_preview(ticket: Ticket, params: dict[str, Any]) -> str:
    from supportloop.automation.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.filter(pk=int(params.get("endpoint") or 0)).first()
    if endpoint is None:
        return "Would not call a webhook: the endpoint was deleted."
    if not endpoint.enabled:
        return f"Would not call {endpoint.url}: it is disabled."
    return f"Would call the webhook {endpoint.url} with ticket #{ticket.number}"


def _chat_validate(kind: str) -> Any:
    def validate(params: dict[str, Any]) -> dict[str, Any]:
        from supportloop.automation.chat import template_check
        from supportloop.automation.models import ChatIntegration

        integration_id = _id_param(params, "integration", {"integration", "template"})
        if not ChatIntegration.objects.filter(pk=integration_id, kind=kind).exists():
            raise ValidationFailed(f"No such {ChatKind(kind).label} integration.", errors={"integration": "not found"})
        cleaned: dict[str, Any] = {"integration": integration_id}
        template = params.get("template")
        if template not in (None, ""):
            if not isinstance(template, str) or len(template) > 2000:
                raise ValidationFailed("The template must be text.", errors={"template": "at most 2000 characters"})
            template_check(template)
            cleaned["template"] = template
        return cleaned

    return validate


def _chat_message(kind: str, ticket: Ticket, params: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    from supportloop.automation.chat import slack_payload, teams_payload
    from supportloop.automation.models import ChatIntegration

    integration = ChatIntegration.objects.filter(pk=int(params.get("integration") or 0), kind=kind).first()
    if integration is None:
        return None, None
    template = params.get("template") or integration.message_template
    build = slack_payload if kind == ChatKind.SLACK else teams_payload
    return integration, build(template, ticket)


def _chat_run(kind: str) -> Any:
    def run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
        from supportloop.automation.services.webhooks import chat_delivery

        integration, payload = _chat_message(kind, ticket, params)
        if integration is None or payload is None:
            return f"Not posted to {ChatKind(kind).label}: the integration was deleted."
        if not integration.enabled:
            return f"Not posted to {integration.name}: it is disabled."
        chat_delivery(integration=integration, payload=payload, ticket_id=ticket.pk, rule_label=context.rule_label)
        return f"Posted to {integration.name}"

    return run


def _chat_preview(kind: str) -> Any:
    def preview(ticket: Ticket, params: dict[str, Any]) -> str:
        integration, payload = _chat_message(kind, ticket, params)
        if integration is None or payload is None:
            return f"Would not post to {ChatKind(kind).label}: the integration was deleted."
        if not integration.enabled:
            return f"Would not post to {integration.name}: it is disabled."
        text = payload["text"] if kind == ChatKind.SLACK else payload["attachments"][0]["content"]["body"][0]["text"]
        return f"Would post to {integration.name}: {text}"

    return preview


def connect() -> None:
    from supportloop.automation.services.webhooks import webhooks_on_ticket_event
    from supportloop.core.jobs import job_register
    from supportloop.core.schedule import Job, register
    from supportloop.tickets.hooks import register_ticket_event_listener

    register_ticket_event_listener(webhooks_on_ticket_event)
    job_register("automation.webhook_deliver", webhook_deliver)
    job_register("automation.webhooks_fan_out", webhooks_fan_out)
    register(
        Job(
            name="automation.webhook_retry",
            due=webhook_retry_due_period,
            enqueue=webhook_retry_enqueue,
            keep_claims_for=timedelta(days=1),
        )
    )
    register_action(
        ActionSpec(
            kind=CALL_WEBHOOK,
            label="Call a webhook",
            validate=_webhook_validate,
            run=_webhook_run,
            preview=_webhook_preview,
        )
    )
    for kind, spec_kind, label in (
        (ChatKind.SLACK, POST_TO_SLACK, "Post to Slack"),
        (ChatKind.TEAMS, POST_TO_TEAMS, "Post to Microsoft Teams"),
    ):
        register_action(
            ActionSpec(
                kind=spec_kind,
                label=label,
                validate=_chat_validate(kind),
                run=_chat_run(kind),
                preview=_chat_preview(kind),
            )
        )
