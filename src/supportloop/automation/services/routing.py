"""Routing rules: their writes, the per-process cache the ticket listener reads, matching, and routing a new
ticket (team, tags, priority from the first matching rule, then an agent by the team's assignment method).

Routing runs on the "created" ticket event, after the creating transaction committed, in a transaction of its
own; it only routes tickets created without a team (a person or an API client that chose a team is obeyed) and
only assigns tickets without an assignee. It must not slow ingest: the rules are compiled once per process and
re-read only when the version counter (a core Counter row every rule write increments) has moved, so a ticket
costs one small query to learn that nothing changed; a ticket no rule and no team method concerns costs two
queries and no transaction.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from supportloop.accounts.models import Team, User
from supportloop.automation.models import RoutingRule, TeamAssignment
from supportloop.automation.services.assignment import (
    Choice,
    assignment_choose,
    assignment_pick_in_transaction,
    auto_assigned_record,
    language_primary,
    product_area_ids_checked,
)
from supportloop.automation.services.ordered import (
    VersionedCache,
    name_free,
    ordered_move,
    ordered_reorder,
    position_next,
    version_bump,
    version_read,
)
from supportloop.core.compiled import compiled_one_or_none
from supportloop.core.errors import ValidationFailed
from supportloop.core.lookup import one_or_none
from supportloop.core.services import change_seq_next, event_record, model_update
from supportloop.core.validation import clean_text
from supportloop.customers.choices import Plan
from supportloop.mail.models import Mailbox, TicketMailbox
from supportloop.tickets.choices import Channel, Priority
from supportloop.tickets.hooks import TicketEvent, TicketEventKind
from supportloop.tickets.models import ContactReason, Message, ProductFeature, Ticket
from supportloop.tickets.services import ticket_update
from supportloop.tickets.services.tickets import tags_normalize

logger = logging.getLogger(__name__)

RULES_VERSION = "automation.routing_rules"
MAX_RULES = 500
MAX_LIST = 200  # ids, codes or keywords in one criterion
KEYWORD_MAX = 100
TEXT_SCANNED = 20_000  # characters of the first message that keywords look at
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")

RULE_FIELDS = {
    "name",
    "is_active",
    "channels",
    "mailbox_ids",
    "product_area_ids",
    "product_feature_ids",
    "contact_reason_ids",
    "languages",
    "plans",
    "keywords",
    "team",
    "add_tags",
    "priority",
}


# -- the compiled rules and their cache -------------------------------------------------------------------------
@dataclass(frozen=True)
class TicketFacts:
    """What the criteria look at, read once per ticket."""

    channel: str
    mailbox_id: int | None
    product_area_id: int | None
    product_feature_id: int | None
    contact_reason_id: int | None
    language: str  # primary subtag: the ticket's, else the requester's
    plan: str | None
    text: str  # subject and the start of the first message, casefolded


@dataclass(frozen=True)
class CompiledRule:
    id: int
    name: str
    channels: frozenset[str]
    mailbox_ids: frozenset[int]
    product_area_ids: frozenset[int]
    product_feature_ids: frozenset[int]
    contact_reason_ids: frozenset[int]
    languages: frozenset[str]
    plans: frozenset[str]
    keywords: tuple[str, ...]
    team_id: int | None
    add_tags: tuple[str, ...]
    priority: str

    @classmethod
    def of(cls, rule: RoutingRule) -> CompiledRule:
        return cls(
            id=rule.pk,
            name=rule.name,
            channels=frozenset(rule.channels),
            mailbox_ids=frozenset(rule.mailbox_ids),
            product_area_ids=frozenset(rule.product_area_ids),
            product_feature_ids=frozenset(rule.product_feature_ids),
            contact_reason_ids=frozenset(rule.contact_reason_ids),
            languages=frozenset(rule.languages),
            plans=frozenset(rule.plans),
            keywords=tuple(k.casefold() for k in rule.keywords),
            team_id=rule.team_id,
            add_tags=tuple(rule.add_tags),
            priority=rule.priority,
        )

    def matches(self, facts: TicketFacts) -> bool:
        """Every criterion given holds; an empty criterion holds for any ticket."""
        return (
            (not self.channels or facts.channel in self.channels)
            and (not self.mailbox_ids or facts.mailbox_id in self.mailbox_ids)
            and (not self.product_area_ids or facts.product_area_id in self.product_area_ids)
            and (not self.product_feature_ids or facts.product_feature_id in self.product_feature_ids)
            and (not self.contact_reason_ids or facts.contact_reason_id in self.contact_reason_ids)
            and (not self.languages or facts.language in self.languages)
            and (not self.plans or facts.plan in self.plans)
            and (not self.keywords or any(k in facts.text for k in self.keywords))
        )


@dataclass(frozen=True)
class RuleSet:
    version: int
    rules: tuple[CompiledRule, ...]
    needs_mailbox: bool
    needs_text: bool


def _rules_build(version: int) -> RuleSet:
    rules = tuple(CompiledRule.of(r) for r in RoutingRule.objects.filter(is_active=True).order_by("position", "id"))
    return RuleSet(
        version=version,
        rules=rules,
        needs_mailbox=any(r.mailbox_ids for r in rules),
        needs_text=any(r.keywords for r in rules),
    )


_cache = VersionedCache(RULES_VERSION, _rules_build)


def rules_version() -> int:
    return version_read(RULES_VERSION)


def active_rules() -> RuleSet:
    """The active rules in order, compiled, from this process's cache unless a rule changed since (one query)."""
    return _cache.get()


def _rules_changed() -> None:
    version_bump(RULES_VERSION)


# -- routing a ticket -----------------------------------------------------------------------------------------
def ticket_facts(ticket: Ticket, *, rules: RuleSet, message_id: int | None = None) -> TicketFacts:
    """The ticket's facts; the mailbox and the message text are read only when some rule asks for them."""
    mailbox_id = None
    if rules.needs_mailbox:
        mailbox_id = TicketMailbox.objects.filter(ticket_id=ticket.pk).values_list("mailbox_id", flat=True).first()
    text = ticket.subject
    if rules.needs_text:
        messages = Message.objects.filter(ticket_id=ticket.pk)
        messages = messages.filter(pk=message_id) if message_id else messages.order_by("created_at", "id")
        body = messages.values_list("body_text", flat=True).first() or ""
        text = f"{ticket.subject}\n{body[:TEXT_SCANNED]}"
    language = language_primary(ticket.language) or language_primary(ticket.requester.language)
    return TicketFacts(
        channel=ticket.channel,
        mailbox_id=mailbox_id,
        product_area_id=ticket.product_area_id,
        product_feature_id=ticket.product_feature_id,
        contact_reason_id=ticket.contact_reason_id,
        language=language,
        plan=ticket.company.plan if ticket.company is not None else None,
        text=text.casefold(),
    )


def rule_first_match(ticket: Ticket, *, rules: RuleSet, message_id: int | None = None) -> CompiledRule | None:
    if not rules.rules:
        return None
    facts = ticket_facts(ticket, rules=rules, message_id=message_id)
    return next((r for r in rules.rules if r.matches(facts)), None)


@dataclass(frozen=True)
class RoutingOutcome:
    rule: CompiledRule | None
    assignment: Choice | None


def _ticket_for_routing(ticket_id: int) -> Ticket | None:
    return compiled_one_or_none(
        ("routing: ticket",),
        lambda ids: Ticket.objects.select_related("requester", "company", "team").filter(pk=ids["id"]),
        {"id": ticket_id},
    )


def _team_assigns(team_id: int | None) -> bool:
    if team_id is None:
        return False
    method = one_or_none(TeamAssignment.objects.filter(team_id=team_id).values_list("method", flat=True))
    return method not in (None, "manual")


def ticket_route(*, ticket_id: int, message_id: int | None = None) -> RoutingOutcome | None:
    """Route a newly created ticket: the first matching rule (when it has no team yet), then an agent by its
    team's method (when it has no assignee). One transaction and one ticket_update for both; None when nothing
    applied."""
    rules = active_rules()
    ticket = _ticket_for_routing(ticket_id)
    if ticket is None:
        return None
    rule = rule_first_match(ticket, rules=rules, message_id=message_id) if ticket.team_id is None else None
    team_id = rule.team_id if rule is not None and rule.team_id else ticket.team_id
    if rule is None and (ticket.assignee_id is not None or not _team_assigns(team_id)):
        return None  # the common case on a busy desk: no transaction, no lock
    with transaction.atomic():
        # The lock every ticket write takes first (tickets' change_seq_next), before the team's pointer: it also
        # serialises ticket writers, so the ticket read next cannot change before this transaction ends.
        change_seq_next()
        ticket = _ticket_for_routing(ticket_id)
        if ticket is None:
            return None
        values: dict[str, Any] = {}
        tags: list[str] | None = None
        if rule is not None and ticket.team_id is None:
            team = Team.objects.filter(pk=rule.team_id).first() if rule.team_id else None
            if team is not None:
                values["team"] = team
            if rule.priority:
                values["priority"] = rule.priority
            if rule.add_tags:
                current = list(ticket.tags.values_list("name", flat=True))
                tags = [*current, *(t for t in rule.add_tags if t not in current)]
        else:
            rule = None
        target_team = values.get("team") or ticket.team
        choice = None
        if ticket.assignee_id is None and target_team is not None:
            choice = assignment_pick_in_transaction(team=target_team, ticket=ticket)
            if choice.user is not None:
                values["assignee"] = choice.user
        if rule is None and "assignee" not in values:
            return None
        before = {"team": ticket.team_id, "priority": ticket.priority}
        ticket = ticket_update(ticket=ticket, actor=None, tags=tags, **values)
        if rule is not None:
            changes: dict[str, Any] = {"rule": [None, rule.name], "rule_id": [None, rule.id]}
            if "team" in values:
                changes["team"] = [before["team"], values["team"].pk]
            if rule.priority:
                changes["priority"] = [before["priority"], rule.priority]
            if rule.add_tags:
                changes["added_tags"] = [None, list(rule.add_tags)]
            event_record(actor=None, actor_label="routing", verb="ticket.routed", target=ticket, changes=changes)
        if choice is not None and choice.user is not None:
            reason = f"routing rule: {rule.name}" if rule else ""
            auto_assigned_record(ticket=ticket, choice=choice, before=None, actor=None, reason=reason)
        return RoutingOutcome(rule=rule, assignment=choice)


def routing_on_ticket_event(event: TicketEvent) -> None:
    """The ticket-event listener (registered first, so triggers see the routed ticket)."""
    if event.kind != TicketEventKind.CREATED:
        return
    try:
        ticket_route(ticket_id=event.ticket_id, message_id=event.message_id)
    except Exception:
        # The ticket is saved already: a routing failure must not fail the request or the mail that created it
        # (the ticket stays in the unrouted queue for a person).
        logger.exception("routing ticket %s failed", event.ticket_id)


def routing_dry_run(*, ticket: Ticket) -> dict[str, Any]:
    """What routing would do to `ticket` as it is now, writing nothing (the settings page's and the API's test)."""
    rules = active_rules()
    ticket = _ticket_for_routing(ticket.pk) or ticket
    rule = rule_first_match(ticket, rules=rules)
    team_id = rule.team_id if rule is not None and rule.team_id else ticket.team_id
    team = Team.objects.filter(pk=team_id).first() if team_id else None
    choice = assignment_choose(team=team, ticket=ticket) if team is not None else None
    return {
        "rule": {"id": rule.id, "name": rule.name} if rule else None,
        "team": team,
        "assignee": choice.user if choice else None,
        "method": choice.method if choice else None,
        "routed_now": ticket.team_id is None,
    }


# -- rule writes ----------------------------------------------------------------------------------------------
def _list(values: Any, field: str) -> list[Any]:
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        raise ValidationFailed(f"{field} must be a list.", errors={field: "a list"})
    if len(values) > MAX_LIST:
        raise ValidationFailed(f"{field} has too many entries.", errors={field: f"at most {MAX_LIST}"})
    return list(values)


def _choices(values: Any, field: str, allowed: list[str]) -> list[str]:
    out = list(dict.fromkeys(_list(values, field)))
    unknown = [v for v in out if v not in allowed]
    if unknown:
        raise ValidationFailed(f"Unknown {field}.", errors={field: "unknown: " + ", ".join(map(str, unknown[:10]))})
    return out


def _ids(values: Any, field: str, model: Any) -> list[int]:
    ids = list(dict.fromkeys(_list(values, field)))
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise ValidationFailed(f"{field} are given by id.", errors={field: "ids are integers"})
    found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        noun = model._meta.verbose_name_plural
        raise ValidationFailed(
            f"Unknown {noun} in {field}.", errors={field: "no such id: " + ", ".join(map(str, missing[:10]))}
        )
    return ids


def _keywords(values: Any) -> list[str]:
    out: list[str] = []
    for value in _list(values, "keywords"):
        if not isinstance(value, str):
            raise ValidationFailed("Keywords are text.", errors={"keywords": "text"})
        word = clean_text(value, field="keywords", max_length=KEYWORD_MAX).strip()
        if word and word.casefold() not in {w.casefold() for w in out}:
            out.append(word)
    return out


def _rule_languages(values: Any) -> list[str]:
    out = []
    for value in _list(values, "languages"):
        code = language_primary(value) if isinstance(value, str) else ""
        if not LANGUAGE_CODE.match(code):
            raise ValidationFailed(
                "Languages are codes such as en, zh or ru.", errors={"languages": f"not a language code: {value!r}"}
            )
        if code not in out:
            out.append(code)
    return out


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Check the fields a caller gave (all untrusted) and return them normalised."""
    unknown = set(values) - RULE_FIELDS
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", errors=dict.fromkeys(sorted(unknown), "unknown field")
        )
    out: dict[str, Any] = {}
    for field, value in values.items():
        if field == "name":
            out[field] = clean_text(value, field="name", required=True, max_length=150).strip()
        elif field == "is_active":
            out[field] = bool(value)
        elif field == "channels":
            out[field] = _choices(value, field, list(Channel.values))
        elif field == "plans":
            out[field] = _choices(value, field, list(Plan.values))
        elif field == "mailbox_ids":
            out[field] = _ids(value, field, Mailbox)
        elif field == "product_area_ids":
            out[field] = product_area_ids_checked(_list(value, field), field)
        elif field == "product_feature_ids":
            out[field] = _ids(value, field, ProductFeature)
        elif field == "contact_reason_ids":
            out[field] = _ids(value, field, ContactReason)
        elif field == "languages":
            out[field] = _rule_languages(value)
        elif field == "keywords":
            out[field] = _keywords(value)
        elif field == "add_tags":
            out[field] = tags_normalize(_list(value, field))
        elif field == "priority":
            if value not in ("", None, *Priority.values):
                raise ValidationFailed("Unknown priority.", errors={"priority": "unknown"})
            out[field] = value or ""
        elif field == "team":
            if value is not None and not isinstance(value, Team):
                raise ValidationFailed("Unknown team.", errors={"team": "no such team"})
            out[field] = value
    return out


def _check_outcome(rule: RoutingRule) -> None:
    if rule.team_id is None and not rule.add_tags and not rule.priority:
        raise ValidationFailed(
            "A routing rule needs a team, tags to add or a priority.",
            errors={"team": "choose a team (or tags, priority)"},
        )


def _name_free(name: str, *, exclude: int | None = None) -> None:
    name_free(RoutingRule, name, label="routing rule", exclude=exclude)


@transaction.atomic
def routing_rule_create(*, actor: User | None, name: str, **values: Any) -> RoutingRule:
    """A new rule, last in the order unless `position` is given; criteria as in RoutingRule."""
    position = values.pop("position", None)
    cleaned = _clean({"name": name, **values})
    _name_free(cleaned["name"])
    if RoutingRule.objects.count() >= MAX_RULES:
        raise ValidationFailed(f"At most {MAX_RULES} routing rules.", errors={"name": "too many rules"})
    if position is None:
        position = position_next(RoutingRule)
    rule = RoutingRule(position=position, **cleaned)
    _check_outcome(rule)
    rule.save(force_insert=True)
    _rules_changed()
    event_record(
        actor=actor,
        verb="routing_rule.created",
        target=rule,
        changes={k: [None, v.pk if isinstance(v, Team) else v] for k, v in cleaned.items()},
    )
    return rule


@transaction.atomic
def routing_rule_update(*, rule: RoutingRule, actor: User | None, **values: Any) -> RoutingRule:
    """Change a rule's fields (enable or disable it with is_active)."""
    cleaned = _clean(values)
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    if "name" in cleaned:
        _name_free(cleaned["name"], exclude=rule.pk)
    changes = model_update(rule, cleaned, allowed_fields=RULE_FIELDS, touch={"updated_at": timezone.now()})
    if changes:
        _check_outcome(rule)
        _rules_changed()
        event_record(actor=actor, verb="routing_rule.updated", target=rule, changes=changes)
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule, actor: User | None) -> None:
    event_record(actor=actor, verb="routing_rule.deleted", target=rule, changes={"name": [rule.name, None]})
    rule.delete()
    _rules_changed()


@transaction.atomic
def routing_rules_reorder(*, rule_ids: list[int], actor: User | None) -> list[RoutingRule]:
    """Put every rule in the order given (each id once, all of them)."""
    rows = ordered_reorder(
        RoutingRule,
        ids=rule_ids,
        actor=actor,
        field="rule_ids",
        label="routing rule",
        verb="routing_rules.reordered",
        version=RULES_VERSION,
    )
    return rows  # type: ignore[return-value]


@transaction.atomic
def routing_rule_move(*, rule: RoutingRule, offset: int, actor: User | None) -> None:
    """Move one rule up (offset -1) or down (+1): the settings page's arrows."""
    ordered_move(
        RoutingRule, pk=rule.pk, offset=offset, reorder=lambda ids: routing_rules_reorder(rule_ids=ids, actor=actor)
    )
