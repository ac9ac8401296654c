"""The ticket actions triggers and time rules take, registered in automation/actions.py by `register()`.

Every action writes through the ticket services (ticket_update, ticket_reply, ticket_add_system_note), so each
change has its audit event and its ticket event; the firing wraps them in `ticket_event_source("trigger:<id>")`
so those events say who made them. Notifications are in-app rows written in the firing's transaction; their
mail leaves after commit (a slow mail server never holds the ticket's lock, a rolled-back firing sends nothing),
and so does the bump of the recipients' cached unread counts (services/notifications.py, the header's link).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.translation import gettext as _

from supportloop.accounts.choices import Role
from supportloop.accounts.models import Team, User
from supportloop.automation.actions import ActionContext, ActionSpec, register_action
from supportloop.core.errors import ValidationFailed
from supportloop.core.validation import clean_text
from supportloop.tickets.choices import Priority, Status
from supportloop.tickets.models import ContactReason, ProductFeature, Ticket

logger = logging.getLogger(__name__)

BODY_MAX = 10_000
NOTIFY_TEXT_MAX = 500
MAX_RECIPIENTS = 50
PRIORITY_UP = {Priority.LOW: Priority.NORMAL, Priority.NORMAL: Priority.HIGH, Priority.HIGH: Priority.URGENT}


def _params(params: dict[str, Any], allowed: set[str], required: Collection[str] = ()) -> None:
    unknown = set(params) - allowed
    if unknown:
        raise ValidationFailed(
            f"Unknown parameter(s): {', '.join(sorted(unknown))}.", errors=dict.fromkeys(sorted(unknown), "unknown")
        )
    missing = set(required) - set(params)
    if missing:
        raise ValidationFailed(
            f"Missing parameter(s): {', '.join(sorted(missing))}.", errors=dict.fromkeys(sorted(missing), "required")
        )


def _id_or_none(params: dict[str, Any], key: str, queryset: Any, noun: str) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not queryset.filter(pk=value).exists():
        raise ValidationFailed(f"No such {noun}: {value!r}.", errors={key: f"no such {noun}"})
    return int(value)


def _ticket_update(ticket: Ticket, context: ActionContext, **values: Any) -> Ticket:
    from supportloop.tickets.services import ticket_update

    return ticket_update(ticket=ticket, actor=None, actor_label=context.rule_label, **values)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label)


# -- status and priority --------------------------------------------------------------------------------------------
def _choice_validate(key: str, choices: Any) -> Any:
    def validate(params: dict[str, Any]) -> dict[str, Any]:
        _params(params, {key}, {key})
        if params[key] not in choices.values:
            raise ValidationFailed(
                f"Unknown {key}: {params[key]!r}.", errors={key: "one of " + ", ".join(choices.values)}
            )
        return {key: params[key]}

    return validate


def _status_line(params: dict[str, Any]) -> str:
    return _("Status set to %(status)s") % {"status": _label(Status, params["status"])}


def _priority_line(params: dict[str, Any]) -> str:
    return _("Priority set to %(priority)s") % {"priority": _label(Priority, params["priority"])}


def _raised(ticket: Ticket) -> str | None:
    current = Ticket.objects.filter(pk=ticket.pk).values_list("priority", flat=True).first() or ticket.priority
    return PRIORITY_UP.get(current)  # type: ignore[call-overload]


def _raise_line(new: str | None) -> str:
    if new is None:
        return _("Priority already urgent")
    return _("Priority raised to %(priority)s") % {"priority": _label(Priority, new)}


def _raise_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    new = _raised(ticket)
    if new is not None:
        _ticket_update(ticket, context, priority=new)
    return _raise_line(new)


def _no_params(params: dict[str, Any]) -> dict[str, Any]:
    _params(params, set())
    return {}


# -- team, assignee, taxonomy ---------------------------------------------------------------------------------------
def _team_validate(params: dict[str, Any]) -> dict[str, Any]:
    _params(params, {"team_id"}, {"team_id"})
    return {"team_id": _id_or_none(params, "team_id", Team.objects.all(), "team")}


def _team_line(params: dict[str, Any]) -> str:
    if params["team_id"] is None:
        return _("Team cleared")
    name = Team.objects.filter(pk=params["team_id"]).values_list("name", flat=True).first() or _("a deleted team")
    return _("Team set to %(team)s") % {"team": name}


def _team_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    team = Team.objects.filter(pk=params["team_id"]).first() if params["team_id"] else None
    _ticket_update(ticket, context, team=team)
    return _team_line(params)


def _assignee_validate(params: dict[str, Any]) -> dict[str, Any]:
    _params(params, {"user_id"}, {"user_id"})
    staff = User.objects.filter(is_active=True, role__in=(Role.AGENT, Role.LEAD, Role.ADMIN))
    return {"user_id": _id_or_none(params, "user_id", staff, "active agent")}


def _assignee_line(params: dict[str, Any]) -> str:
    if params["user_id"] is None:
        return _("Unassigned")
    user = User.objects.filter(pk=params["user_id"]).first()
    return _("Assigned to %(name)s") % {"name": user.display_name if user else _("a former user")}


def _assignee_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    user = User.objects.filter(pk=params["user_id"], is_active=True).first() if params["user_id"] else None
    if params["user_id"] and user is None:
        return _("Not assigned: the agent is no longer active")
    _ticket_update(ticket, context, assignee=user)
    return _assignee_line(params)


def _feature_validate(params: dict[str, Any]) -> dict[str, Any]:
    _params(params, {"feature_id"}, {"feature_id"})
    return {"feature_id": _id_or_none(params, "feature_id", ProductFeature.objects.filter(is_active=True), "feature")}


def _feature_line(params: dict[str, Any]) -> str:
    feature = ProductFeature.objects.select_related("area").filter(pk=params["feature_id"]).first()
    return _("Product feature set to %(name)s") % {"name": str(feature)} if feature else _("Product feature cleared")


def _feature_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    feature = ProductFeature.objects.filter(pk=params["feature_id"]).first() if params["feature_id"] else None
    _ticket_update(ticket, context, product_feature=feature)
    return _feature_line(params)


def _reason_validate(params: dict[str, Any]) -> dict[str, Any]:
    _params(params, {"reason_id"}, {"reason_id"})
    return {"reason_id": _id_or_none(params, "reason_id", ContactReason.objects.filter(is_active=True), "reason")}


def _reason_line(params: dict[str, Any]) -> str:
    reason = ContactReason.objects.filter(pk=params["reason_id"]).first()
    return _("Contact reason set to %(name)s") % {"name": reason.name} if reason else _("Contact reason cleared")


def _reason_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    reason = ContactReason.objects.filter(pk=params["reason_id"]).first() if params["reason_id"] else None
    _ticket_update(ticket, context, contact_reason=reason)
    return _reason_line(params)


# -- tags -----------------------------------------------------------------------------------------------------------
def _tags_validate(params: dict[str, Any]) -> dict[str, Any]:
    from supportloop.tickets.services.tickets import tags_normalize

    _params(params, {"tags"}, {"tags"})
    tags = params["tags"]
    if not isinstance(tags, list) or not tags or len(tags) > 50 or not all(isinstance(t, str) for t in tags):
        raise ValidationFailed("tags is a list of 1 to 50 tag names.", errors={"tags": "a list of tag names"})
    normalized = tags_normalize(tags)
    if not normalized:
        raise ValidationFailed("tags is a list of 1 to 50 tag names.", errors={"tags": "a list of tag names"})
    return {"tags": normalized}


def _tags_now(ticket: Ticket) -> list[str]:
    return list(ticket.tags.order_by("name").values_list("name", flat=True))


def _add_tags_preview(ticket: Ticket, params: dict[str, Any]) -> str:
    return _("Tags added: %(tags)s") % {"tags": ", ".join(params["tags"])}


def _add_tags_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    current = _tags_now(ticket)
    _ticket_update(ticket, context, tags=[*current, *(t for t in params["tags"] if t not in current)])
    return _add_tags_preview(ticket, params)


def _remove_tags_preview(ticket: Ticket, params: dict[str, Any]) -> str:
    return _("Tags removed: %(tags)s") % {"tags": ", ".join(params["tags"])}


def _remove_tags_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    _ticket_update(ticket, context, tags=[t for t in _tags_now(ticket) if t not in params["tags"]])
    return _remove_tags_preview(ticket, params)


# -- note and reply -------------------------------------------------------------------------------------------------
def _body_validate(params: dict[str, Any]) -> dict[str, Any]:
    _params(params, {"body"}, {"body"})
    if not isinstance(params["body"], str):
        raise ValidationFailed("body is a text.", errors={"body": "a text"})
    body = clean_text(params["body"], field="body", required=True, max_length=BODY_MAX).strip()
    if not body:
        raise ValidationFailed("body is required.", errors={"body": "required"})
    return {"body": body}


def render_template(ticket: Ticket, body: str) -> str:
    """The macros' placeholders ({{ contact.first_name }}, {{ ticket.number }} ...), with no agent."""
    from supportloop.tickets.services.macros import PLACEHOLDER, PLACEHOLDERS

    return PLACEHOLDER.sub(
        lambda m: PLACEHOLDERS[m.group(1)](ticket, None) if m.group(1) in PLACEHOLDERS else m.group(0), body
    )


def _note_preview(ticket: Ticket, params: dict[str, Any]) -> str:
    return _("Internal note added: “%(text)s”") % {"text": _short(render_template(ticket, params["body"]))}


def _note_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    from supportloop.tickets.services import ticket_add_system_note

    ticket_add_system_note(ticket=ticket, body=render_template(ticket, params["body"]), actor_label=context.rule_label)
    return _note_preview(ticket, params)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reply_preview(ticket: Ticket, params: dict[str, Any]) -> str:
    return _("Reply sent to the customer: “%(text)s”") % {"text": _short(render_template(ticket, params["body"]))}


def _reply_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    from supportloop.tickets.services import ticket_reply

    fresh = Ticket.objects.select_related("requester", "company").get(pk=ticket.pk)
    ticket_reply(ticket=fresh, actor=None, actor_label=context.rule_label, body=render_template(fresh, params["body"]))
    return _reply_preview(ticket, params)


# -- notify ---------------------------------------------------------------------------------------------------------
def _notify_validate(params: dict[str, Any]) -> dict[str, Any]:
    _params(params, {"user_ids", "team_id", "team_leads", "text"})
    user_ids = params.get("user_ids") or []
    if not isinstance(user_ids, list) or len(user_ids) > MAX_RECIPIENTS:
        raise ValidationFailed("user_ids is a list of user ids.", errors={"user_ids": f"at most {MAX_RECIPIENTS} ids"})
    if any(isinstance(i, bool) or not isinstance(i, int) for i in user_ids):
        raise ValidationFailed("user_ids is a list of user ids.", errors={"user_ids": "ids are integers"})
    found = set(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True))
    missing = [i for i in user_ids if i not in found]
    if missing:
        raise ValidationFailed(
            f"No such active user: {missing[0]}.", errors={"user_ids": "no such user: " + str(missing[0])}
        )
    team_id = _id_or_none(params, "team_id", Team.objects.all(), "team")
    team_leads = params.get("team_leads", False)
    if not isinstance(team_leads, bool):
        raise ValidationFailed("team_leads is true or false.", errors={"team_leads": "true or false"})
    if not user_ids and team_id is None and not team_leads:
        raise ValidationFailed(
            "Notify whom? Give user_ids, a team_id or team_leads: true (the leads of the ticket's team).",
            errors={"user_ids": "a recipient is required"},
        )
    text = params.get("text") or ""
    if not isinstance(text, str):
        raise ValidationFailed("text is a text.", errors={"text": "a text"})
    text = clean_text(text, field="text", max_length=NOTIFY_TEXT_MAX).strip()
    return {"user_ids": list(dict.fromkeys(user_ids)), "team_id": team_id, "team_leads": team_leads, "text": text}


def notify_recipients(ticket: Ticket, params: dict[str, Any]) -> list[User]:
    """Named users, a team's members, and the leads of the ticket's team (all leads when it has none)."""
    ids = set(params.get("user_ids") or [])
    users = User.objects.filter(is_active=True)
    found = list(users.filter(pk__in=ids)) if ids else []
    if params.get("team_id"):
        found += list(users.filter(teams__pk=params["team_id"]))
    if params.get("team_leads"):
        leads = users.filter(role=Role.LEAD)
        team_id = Ticket.objects.filter(pk=ticket.pk).values_list("team_id", flat=True).first()
        in_team = list(leads.filter(teams__pk=team_id)) if team_id else []
        found += in_team or list(leads)
    return list({u.pk: u for u in found}.values())[:MAX_RECIPIENTS]


def _notice_text(ticket: Ticket, params: dict[str, Any]) -> str:
    if params.get("text"):
        return render_template(ticket, params["text"])
    return _("Ticket #%(number)s needs attention: %(subject)s") % {"number": ticket.number, "subject": ticket.subject}


def _names(users: list[User]) -> str:
    return ", ".join(u.display_name for u in users) or _("nobody (no matching user)")


def _notify_preview(ticket: Ticket, params: dict[str, Any]) -> str:
    return _("Notified %(names)s") % {"names": _names(notify_recipients(ticket, params))}


def _mail(addresses: list[str], subject: str, text: str) -> None:
    for address in addresses:
        try:
            EmailMessage(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[address]).send()
        except Exception:  # logged: the in-app notification is the record; mail is best effort
            logger.exception("notification mail to %s failed", address)


def notify(ticket: Ticket, params: dict[str, Any], *, source: str) -> list[User]:
    """In-app notifications now (in the caller's transaction), mail after commit. Returns the recipients."""
    from supportloop.automation.models import Notification

    users = notify_recipients(ticket, params)
    text = _notice_text(ticket, params)[:NOTIFY_TEXT_MAX]
    source = source[: Notification._meta.get_field("source").max_length]  # a rule's label can be longer
    Notification.objects.bulk_create([Notification(user=u, ticket=ticket, text=text, source=source) for u in users])
    from supportloop.automation.services.notifications import notifications_changed_on_commit

    notifications_changed_on_commit(u.pk for u in users)  # the header's cached unread counts
    addresses = [u.email for u in users if u.email]
    if addresses:
        transaction.on_commit(partial(_mail, addresses, f"[#{ticket.number}] {ticket.subject}"[:200], text))
    return users


def _notify_run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    users = notify(ticket, params, source=context.rule_label)
    return _("Notified %(names)s") % {"names": _names(users)}


def _fixed(line: Any) -> Any:
    """A preview for an action whose line depends only on its parameters."""
    return lambda ticket, params: line(params)


def _setter(line: Any, field: str) -> Any:
    def run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
        _ticket_update(ticket, context, **{field: params[field]})
        return str(line(params))

    return run


def register() -> None:
    for spec in (
        ActionSpec(
            "set_status",
            "Set status",
            _choice_validate("status", Status),
            _setter(_status_line, "status"),
            _fixed(_status_line),
        ),
        ActionSpec(
            "set_priority",
            "Set priority",
            _choice_validate("priority", Priority),
            _setter(_priority_line, "priority"),
            _fixed(_priority_line),
        ),
        ActionSpec(
            "raise_priority", "Raise priority one step", _no_params, _raise_run, lambda t, p: _raise_line(_raised(t))
        ),
        ActionSpec("set_team", "Set team", _team_validate, _team_run, _fixed(_team_line)),
        ActionSpec("set_assignee", "Set assignee", _assignee_validate, _assignee_run, _fixed(_assignee_line)),
        ActionSpec("add_tags", "Add tags", _tags_validate, _add_tags_run, _add_tags_preview),
        ActionSpec("remove_tags", "Remove tags", _tags_validate, _remove_tags_run, _remove_tags_preview),
        ActionSpec(
            "set_product_feature", "Set product feature", _feature_validate, _feature_run, _fixed(_feature_line)
        ),
        ActionSpec("set_contact_reason", "Set contact reason", _reason_validate, _reason_run, _fixed(_reason_line)),
        ActionSpec("add_note", "Add an internal note", _body_validate, _note_run, _note_preview),
        ActionSpec("notify", "Notify users or a team", _notify_validate, _notify_run, _notify_preview),
        ActionSpec("send_reply", "Send a templated reply", _body_validate, _reply_run, _reply_preview),
    ):
        register_action(spec)
