"""The ticket's audit events as sentences a person reads: "Sam changed status from Open to Pending", "Sam assigned
the ticket to Lee", "Customer Alice replied", "Sam added tag billing".

Events store codes and ids (core.Event: verb, {field: [before, after]}); this turns them into translated text with
the choices' labels and the names of people, teams and the taxonomy. Names come from caches (accounts.directory,
tickets.taxonomy_index), so a page of events costs no query when they are warm and one per kind when cold; a
macro's name costs one query, only when the events name macros the caller did not pass. A verb this module does
not know (one added later) still reads as a sentence: "<actor>: <verb in words>".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportloop.accounts.directory import Directory, directory
from supportloop.core.models import Event
from supportloop.tickets.choices import Channel, Priority, Status
from supportloop.tickets.models import Macro
from supportloop.tickets.taxonomy_index import TaxonomyIndex, taxonomy_index


@dataclass(frozen=True)
class TimelineEntry:
    created_at: datetime
    verb: str
    text: str


# Fields a change event carries that are bookkeeping, not something a person did.
SILENT_FIELDS = {"message", "public_reply_count", "first_response_at", "product_area"}
CHOICES: dict[str, Any] = {"status": Status, "priority": Priority, "channel": Channel}


class _Names:
    """Labels for the ids events hold, read once for the whole list."""

    def __init__(self, events: list[Event], macros: dict[int, str] | None = None) -> None:
        user_ids: set[int] = set()
        team_ids: set[int] = set()
        macro_ids: set[int] = set()
        for e in events:
            if e.actor_id is not None:
                user_ids.add(e.actor_id)
            changes = e.changes or {}
            for key, ids in (("assignee", user_ids), ("team", team_ids), ("macro", macro_ids)):
                for value in _pair(changes.get(key)):
                    if isinstance(value, int):
                        ids.add(value)
        self.directory: Directory = directory(users=user_ids, teams=team_ids)
        self._taxonomy: TaxonomyIndex | None = None
        self.macros: dict[int, str] = dict(macros or {})
        if macro_ids - set(self.macros):
            self.macros.update(Macro.objects.filter(pk__in=macro_ids).values_list("pk", "name"))

    def user(self, pk: Any) -> str:
        person = self.directory.people.get(pk) if isinstance(pk, int) else None
        return person.name if person is not None else _("a former user")

    def team(self, pk: Any) -> str:
        return self.directory.teams.get(pk, _("a deleted team")) if isinstance(pk, int) else _("a deleted team")

    @property
    def taxonomy(self) -> TaxonomyIndex:
        if self._taxonomy is None:
            self._taxonomy = taxonomy_index()
        return self._taxonomy

    def feature(self, pk: Any) -> str:
        feature = self.taxonomy.features.get(pk) if isinstance(pk, int) else None
        return f"{feature.area.name} › {feature.name}" if feature is not None else _("a deleted feature")

    def reason(self, pk: Any) -> str:
        reason = self.taxonomy.reasons.get(pk) if isinstance(pk, int) else None
        return reason.name if reason is not None else _("a deleted reason")

    def macro(self, pk: Any) -> str:
        return self.macros.get(pk, _("a deleted macro")) if isinstance(pk, int) else _("a deleted macro")

    def actor(self, event: Event) -> str:
        if event.actor_id is not None and event.actor_id in self.directory.people:
            return self.directory.people[event.actor_id].name
        label = event.actor_label or "system"
        return {
            "system": _("System"),
            "mail": _("Mail"),
            "closing the loop": _("Closing the loop"),
            "routing": _("Routing"),
            "trigger": _("Trigger"),
            "time rule": _("Time rule"),
        }.get(label, label)


def _pair(change: Any) -> tuple[Any, Any]:
    if isinstance(change, (list, tuple)) and len(change) == 2:
        return change[0], change[1]
    return None, change


def _label(field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    choices = CHOICES.get(field)
    if choices is not None:
        try:
            return str(choices(value).label)
        except ValueError:
            return str(value)
    return str(value)


def _listed(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _added_removed(change: Any) -> tuple[list[Any], list[Any]]:
    before, after = _pair(change)
    before, after = list(before or []), list(after or [])
    return [v for v in after if v not in before], [v for v in before if v not in after]


def _field_sentences(field: str, change: Any, actor: str, names: _Names) -> list[str]:
    """What one changed field says, for an event with an actor (ticket.updated and the like)."""
    before, after = _pair(change)
    if field in ("status", "priority"):
        what = _("status") if field == "status" else _("priority")
        return [
            _("%(actor)s changed %(field)s from %(old)s to %(new)s")
            % {"actor": actor, "field": what, "old": _label(field, before), "new": _label(field, after)}
        ]
    if field == "assignee":
        if after is None:
            return [_("%(actor)s unassigned %(user)s") % {"actor": actor, "user": names.user(before)}]
        return [_("%(actor)s assigned the ticket to %(user)s") % {"actor": actor, "user": names.user(after)}]
    if field == "team":
        if after is None:
            return [_("%(actor)s removed the ticket from team %(team)s") % {"actor": actor, "team": names.team(before)}]
        return [_("%(actor)s moved the ticket to team %(team)s") % {"actor": actor, "team": names.team(after)}]
    if field == "tags":
        added, removed = _added_removed(change)
        out = []
        if added:
            out.append(
                ngettext("%(actor)s added tag %(tags)s", "%(actor)s added tags %(tags)s", len(added))
                % {"actor": actor, "tags": _listed(added)}
            )
        if removed:
            out.append(
                ngettext("%(actor)s removed tag %(tags)s", "%(actor)s removed tags %(tags)s", len(removed))
                % {"actor": actor, "tags": _listed(removed)}
            )
        return out
    if field in ("followers", "follower"):
        added, removed = _added_removed(change) if field == "followers" else ([after] if after else [], [])
        out = [_("%(actor)s added follower %(email)s") % {"actor": actor, "email": e} for e in added]
        out += [_("%(actor)s removed follower %(email)s") % {"actor": actor, "email": e} for e in removed]
        return out
    if field == "subject":
        return [_("%(actor)s renamed the ticket to “%(subject)s”") % {"actor": actor, "subject": after or ""}]
    if field == "product_feature":
        if after is None:
            return [_("%(actor)s cleared the product feature") % {"actor": actor}]
        return [_("%(actor)s set the product feature to %(name)s") % {"actor": actor, "name": names.feature(after)}]
    if field == "contact_reason":
        if after is None:
            return [_("%(actor)s cleared the contact reason") % {"actor": actor}]
        return [_("%(actor)s set the contact reason to %(name)s") % {"actor": actor, "name": names.reason(after)}]
    if field == "language":
        return [
            _("%(actor)s changed the language from %(old)s to %(new)s")
            % {"actor": actor, "old": _label(field, before), "new": _label(field, after)}
        ]
    if field in SILENT_FIELDS:
        return []
    return [
        _("%(actor)s changed %(field)s from %(old)s to %(new)s")
        % {"actor": actor, "field": field.replace("_", " "), "old": _label(field, before), "new": _label(field, after)}
    ]


def _changes(event: Event, actor: str, names: _Names, *, skip: Iterable[str] = ()) -> list[str]:
    out: list[str] = []
    for field, change in (event.changes or {}).items():
        if field not in skip:
            out += _field_sentences(field, change, actor, names)
    return out


def _after(event: Event, field: str) -> Any:
    return _pair((event.changes or {}).get(field))[1]


def _created(event: Event, actor: str, names: _Names) -> list[str]:
    channel = _label("channel", _after(event, "channel"))
    if event.actor_id is not None:
        first = _("%(actor)s opened the ticket (%(channel)s)") % {"actor": actor, "channel": channel}
    else:
        first = _("The customer opened the ticket (%(channel)s)") % {"channel": channel}
    out = [first]
    tags = _after(event, "tags") or []
    if tags:
        out.append(ngettext("Tagged %(tags)s", "Tagged %(tags)s", len(tags)) % {"tags": _listed(tags)})
    return out


def _replied(event: Event, actor: str, names: _Names) -> list[str]:
    return [_("%(actor)s replied to the customer") % {"actor": actor}, *_changes(event, actor, names)]


def _customer_replied(event: Event, actor: str, names: _Names) -> list[str]:
    name = event.actor_label
    first = _("Customer %(name)s replied") % {"name": name} if name else _("Customer replied")
    status_before, status_after = _pair((event.changes or {}).get("status"))
    out = [first]
    if status_after:
        out.append(
            _("The reply reopened the ticket: status went from %(old)s to %(new)s")
            % {"old": _label("status", status_before), "new": _label("status", status_after)}
        )
    return out


def _snoozed(event: Event, actor: str, names: _Names) -> list[str]:
    until = _after(event, "snoozed_until")
    try:
        shown = timezone.localtime(datetime.fromisoformat(until)).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        shown = "—"
    return [_("%(actor)s snoozed the ticket until %(until)s") % {"actor": actor, "until": shown}]


def _woken(event: Event, actor: str, names: _Names) -> list[str]:
    if _after(event, "reason") == "reply":
        return [_("The customer's reply woke the snoozed ticket")]
    return [_("The snooze ended: the ticket is back in the inbox")]


def _attachments(event: Event, actor: str, names: _Names) -> list[str]:
    added, _removed = _added_removed((event.changes or {}).get("attachments"))
    return [
        ngettext("%(actor)s attached %(files)s", "%(actor)s attached %(files)s", len(added))
        % {"actor": actor, "files": _listed(added)}
    ]


def _routed(event: Event, actor: str, names: _Names) -> list[str]:
    rule = _after(event, "rule") or "—"
    team = _after(event, "team")
    if team is not None:
        return [
            _("Routing rule “%(rule)s” sent the ticket to team %(team)s") % {"rule": rule, "team": names.team(team)}
        ]
    return [_("Routing rule “%(rule)s” matched the ticket") % {"rule": rule}]


def _trigger_fired(event: Event, actor: str, names: _Names) -> list[str]:
    lines = _after(event, "actions") or []
    values = {"rule": _after(event, "trigger") or "—", "actions": "; ".join(str(line) for line in lines) or "—"}
    return [_("Trigger “%(rule)s” fired: %(actions)s") % values]


def _trigger_capped(event: Event, actor: str, names: _Names) -> list[str]:
    return [
        _("Trigger “%(rule)s” was stopped: it fired %(cap)s times on this ticket within %(minutes)s minutes")
        % {
            "rule": _after(event, "trigger") or "—",
            "cap": _after(event, "cap") or "—",
            "minutes": _after(event, "window_minutes") or "—",
        }
    ]


def _sla_missed(text: Callable[[], str]) -> Callable[[Event, str, _Names], list[str]]:
    def sentence(event: Event, actor: str, names: _Names) -> list[str]:
        target = _after(event, "target")
        label = {
            "first_response": _("first response"),
            "next_response": _("next response"),
            "resolution": _("resolution"),
        }.get(target, target or "—")
        return [text() % {"target": label}]

    return sentence


def _auto_assigned(event: Event, actor: str, names: _Names) -> list[str]:
    values = {"user": names.user(_after(event, "assignee")), "team": names.team(_after(event, "team"))}
    method = _after(event, "method")
    if method == "least_loaded":
        load, capacity = _after(event, "load"), _after(event, "capacity")
        if capacity is None:
            text = _("Team %(team)s assigned the ticket to %(user)s, the least loaded agent (%(load)s open tickets)")
        else:
            text = _(
                "Team %(team)s assigned the ticket to %(user)s, the least loaded agent "
                "(%(load)s of %(capacity)s open tickets)"
            )
        return [text % {**values, "load": load, "capacity": capacity}]
    return [_("Team %(team)s assigned the ticket to %(user)s by round-robin") % values]


def _away_reassigned(event: Event, actor: str, names: _Names) -> list[str]:
    before, after = _pair((event.changes or {}).get("assignee"))
    if after is None:
        return [_("The ticket went back to the team, unassigned: %(user)s went away") % {"user": names.user(before)}]
    return [
        _("The ticket was reassigned to %(new)s: %(user)s went away")
        % {"user": names.user(before), "new": names.user(after)}
    ]


def _skipped(kind: str) -> Callable[[Event, str, _Names], list[str]]:
    def sentence(event: Event, actor: str, names: _Names) -> list[str]:
        what = _("The acknowledgement") if kind == "acknowledgement" else _("The notice")
        return [
            _("%(what)s to %(recipient)s was held back: %(reason)s")
            % {"what": what, "recipient": _after(event, "recipient") or "—", "reason": _after(event, "reason") or "—"}
        ]

    return sentence


def _simple(text: Callable[[], str]) -> Callable[[Event, str, _Names], list[str]]:
    def sentence(event: Event, actor: str, names: _Names) -> list[str]:
        return [text() % {"actor": actor}]

    return sentence


def _follower(text: Callable[[], str]) -> Callable[[Event, str, _Names], list[str]]:
    def sentence(event: Event, actor: str, names: _Names) -> list[str]:
        _before, after = _pair((event.changes or {}).get("follower"))
        return [text() % {"actor": actor, "email": after or "—"}]

    return sentence


# Every verb an event on a ticket is written with (tickets, mail, feedback and macros services), and its sentences.
SENTENCES: dict[str, Callable[[Event, str, _Names], list[str]]] = {
    "ticket.created": _created,
    "ticket.updated": lambda e, actor, names: _changes(e, actor, names),
    "ticket.replied": _replied,
    "ticket.reply_withdrawn": _simple(lambda: _("%(actor)s took back a reply before it was sent (undo send)")),
    "ticket.noted": _simple(lambda: _("%(actor)s added an internal note")),
    "ticket.system_noted": _simple(lambda: _("%(actor)s added an internal note")),
    "ticket.customer_replied": _customer_replied,
    "ticket.snoozed": _snoozed,
    "ticket.unsnoozed": _simple(lambda: _("%(actor)s woke the snoozed ticket")),
    "ticket.woken": _woken,
    "attachment.added": _attachments,
    "macro.applied": lambda e, actor, names: [
        _("%(actor)s applied the macro %(macro)s") % {"actor": actor, "macro": names.macro(_after(e, "macro"))}
    ],
    "ticket.customer_told": lambda e, actor, names: [
        _("The customer was told by mail: “%(subject)s”") % {"subject": _after(e, "subject") or "—"}
    ],
    "ticket.follower_added": lambda e, actor, names: _changes(e, actor, names),
    "ticket.follower_proposed": _follower(lambda: _("A mail proposed %(email)s as a follower")),
    "ticket.follower_accepted": _follower(lambda: _("%(actor)s accepted %(email)s as a follower")),
    "ticket.follower_dismissed": _follower(lambda: _("%(actor)s dismissed the proposed follower %(email)s")),
    "ticket.follower_removed": lambda e, actor, names: [
        _("%(actor)s removed follower %(email)s") % {"actor": actor, "email": _pair(e.changes.get("follower"))[0]}
    ],
    "ticket.follow_up_linked": lambda e, actor, names: [
        _("Opened as a follow-up of ticket #%(number)s") % {"number": _after(e, "follow_up_of")}
    ],
    "ticket.routed": _routed,
    "ticket.auto_assigned": _auto_assigned,
    "ticket.away_reassigned": _away_reassigned,
    "ticket.trigger_fired": _trigger_fired,
    "ticket.trigger_capped": _trigger_capped,
    "ticket.time_rule_applied": lambda e, actor, names: [
        _("Time rule: %(action)s") % {"action": _after(e, "action") or "—"}
    ],
    "ticket.sla_breached": _sla_missed(lambda: _("The SLA target for %(target)s was breached")),
    "ticket.sla_warning": _sla_missed(lambda: _("The SLA target for %(target)s is close to its due time")),
    "ticket.incident_linked": lambda e, actor, names: [
        (
            _("Linked to incident “%(title)s” (it matched on arrival)")
            if _after(e, "source") == "matched"
            else _("%(actor)s linked the ticket to incident “%(title)s”")
        )
        % {"actor": actor, "title": _after(e, "title") or "—"}
    ],
    "ticket.incident_unlinked": _simple(lambda: _("%(actor)s took the ticket off an incident")),
    "mail.acknowledgement_skipped": _skipped("acknowledgement"),
    "mail.notice_skipped": _skipped("notice"),
    "mail.message_id_reused": _simple(lambda: _("A mail reused the Message-ID of an earlier message")),
}


def _generic(event: Event, actor: str, names: _Names) -> list[str]:
    """A verb added after this module: who, and the verb in words ("Sam: snoozed")."""
    words = event.verb.split(".", 1)[-1].replace("_", " ")
    return [_("%(actor)s: %(action)s") % {"actor": actor, "action": words}]


def timeline_entries(events: list[Event], *, macros: dict[int, str] | None = None) -> list[TimelineEntry]:
    """One entry per sentence, in the events' order (an update of status and assignee reads as two lines).
    `macros` are names the caller has read already ({id: name}); only the others cost a query."""
    names = _Names(events, macros)
    entries: list[TimelineEntry] = []
    for event in events:
        actor = names.actor(event)
        sentences = SENTENCES.get(event.verb, _generic)(event, actor, names)
        entries.extend(
            TimelineEntry(created_at=event.created_at, verb=event.verb, text=text)
            for text in sentences or [_("%(actor)s updated the ticket") % {"actor": actor}]
        )
    return entries
