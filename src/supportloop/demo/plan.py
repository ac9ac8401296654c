"""A deterministic plan of the demo workspace's ticket history, independent of the database.

`TicketPlanner` turns a random generator and a list of contacts into ticket plans: arrival time (weekday and
hour-of-day patterns in the contact's own time zone, slight growth over the 90 days), topic, texts in the
contact's language, routing, and the conversation that follows (agent replies, customer follow-ups, internal
notes, solve and auto-close), cut at "now" so recent tickets are still new, open or pending. The normal seed
replays a plan through the services; the bulk loader writes it as rows. Nothing here touches the database.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from supportloop.demo import phrases as P

HOUR = 3600.0
DAY = 86400.0
# Monday .. Sunday: support is busiest at the start of the week and quiet at weekends.
WEEKDAY_WEIGHTS = [1.25, 1.2, 1.12, 1.05, 0.9, 0.35, 0.3]
# Local hour of day 0..23: a morning peak, a lunch dip, an afternoon plateau, a little night traffic.
HOUR_WEIGHTS = [
    0.2,
    0.12,
    0.1,
    0.1,
    0.12,
    0.25,
    0.5,
    1.1,
    2.2,
    3.2,
    3.5,
    3.3,
    2.4,
    2.8,
    3.1,
    3.0,
    2.6,
    2.0,
    1.3,
    0.9,
    0.7,
    0.55,
    0.4,
    0.3,
]
CHANNEL_WEIGHTS = {"email": 55, "web": 28, "phone": 10, "api": 7}
AUTO_CLOSE_AFTER = 4 * DAY


@dataclass
class ContactRef:
    """What the planner needs to know about a contact (the database id is filled in by the caller)."""

    key: int
    name: str
    first_name: str
    language: str
    company_name: str = ""
    plan: str = ""
    pk: int | None = None
    company_id: int | None = None


@dataclass
class Step:
    """One event in a ticket's life after it was opened."""

    kind: str  # "reply" | "note" | "customer" | "close"
    at: float  # epoch seconds
    body: str = ""
    status: str | None = None  # status set by an agent reply
    macro: str | None = None  # name of the macro an agent used for this reply


@dataclass
class TicketPlan:
    created: float
    contact: ContactRef
    language: str
    topic: dict
    subject: str
    body: str
    channel: str
    priority: str
    team: str
    assignee: str | None
    tags: list[str]
    steps: list[Step] = field(default_factory=list)
    status: str = "new"
    first_response: float | None = None
    solved: float | None = None
    updated: float = 0.0
    used: set[str] = field(default_factory=set)


def epoch_to_dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def _cum(weights):
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


class TicketPlanner:
    """Plans tickets for a workspace. Same seed, same contacts and same `now` give the same plans."""

    def __init__(
        self,
        *,
        rng: random.Random,
        contacts: list[ContactRef],
        agents_by_team: dict[str, list[str]],
        now: datetime,
        days: int = 90,
    ):
        self.rng = rng
        self.now = now.timestamp()
        self.days = days
        self.agents_by_team = agents_by_team
        self.by_language: dict[str, list[ContactRef]] = {}
        for c in contacts:
            self.by_language.setdefault(c.language, []).append(c)
        self.languages = [lang for lang in P.LANGUAGE_WEIGHTS if lang in self.by_language]
        self.language_cum = _cum(P.LANGUAGE_WEIGHTS[lang] for lang in self.languages)
        # A few contacts write a lot, most write once or twice (Pareto activity).
        self.contact_cum = {
            lang: _cum(min(rng.paretovariate(1.6), 40.0) for _ in group) for lang, group in self.by_language.items()
        }
        self.topic_cum = _cum(P.TOPIC_WEIGHTS)
        self.hour_cum = _cum(HOUR_WEIGHTS)
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_cum = _cum(CHANNEL_WEIGHTS.values())
        # Day weights over the window, oldest first: weekday pattern times a gentle growth trend.
        today = datetime.fromtimestamp(self.now, tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.day_starts = [(today - timedelta(days=days - 1 - i)) for i in range(days)]
        self.day_cum = _cum(
            WEEKDAY_WEIGHTS[d.weekday()] * (0.8 + 0.4 * i / days) for i, d in enumerate(self.day_starts)
        )
        self.day_starts = [d.timestamp() for d in self.day_starts]

    # -- small helpers -------------------------------------------------------------------------------------
    def _pick(self, items, cum):
        return items[bisect.bisect(cum, self.rng.random() * cum[-1])]

    def _delay(self, median_hours: float, spread: float = 0.9) -> float:
        return median_hours * HOUR * math.exp(self.rng.gauss(0, spread))

    def _fill(self, text: str, contact: ContactRef, agent: str = "") -> str:
        return (
            text.replace("{name}", contact.first_name)
            .replace("{company}", contact.company_name or "our team")
            .replace("{agent}", agent)
            .replace("{n}", str(self.rng.randint(2, 9)))
            .replace("{inv}", f"INV-{self.rng.randint(2024000, 2026999)}")
            .replace("{plan}", contact.plan or "free")
        )

    def arrival_times(self, count: int) -> list[tuple[float, str]]:
        """Sorted (epoch, language) pairs: weekday and local hour-of-day patterns, none in the future."""
        out = []
        rng = self.rng
        while len(out) < count:
            lang = self._pick(self.languages, self.language_cum)
            day = self._pick(self.day_starts, self.day_cum)
            offset = rng.choice(P.LANGUAGE_UTC_OFFSETS[lang])
            hour = bisect.bisect(self.hour_cum, rng.random() * self.hour_cum[-1])
            at = day + (hour - offset) * HOUR + rng.random() * HOUR
            if at < self.now - 60:
                out.append((at, lang))
        out.sort()
        return out

    # -- one ticket -----------------------------------------------------------------------------------------
    def plan(self, created: float, lang: str) -> TicketPlan:
        rng = self.rng
        group = self.by_language[lang]
        contact = group[bisect.bisect(self.contact_cum[lang], rng.random() * self.contact_cum[lang][-1])]
        topic = P.TOPICS[bisect.bisect(self.topic_cum, rng.random() * self.topic_cum[-1])]
        text_lang = contact.language if contact.language in topic["texts"] else "en"
        subject, body = rng.choice(topic["texts"][text_lang])
        body = self._fill(body, contact) + "\n\n" + contact.name
        subject = self._fill(subject, contact)
        priority = rng.choices(("low", "normal", "high", "urgent"), weights=topic["priority"])[0]
        if contact.plan == "enterprise" and priority in ("low", "normal") and rng.random() < 0.4:
            priority = "high"
        team = P.LANGUAGE_TEAM.get(text_lang) or topic["team"]
        agent = rng.choice(self.agents_by_team[team])
        tags = list(topic["tags"])
        if contact.plan == "enterprise" and rng.random() < 0.5:
            tags.append("vip")
        if rng.random() < 0.06:
            tags.append("urgent-followup")
        plan = TicketPlan(
            created=created,
            contact=contact,
            language=text_lang,
            topic=topic,
            subject=subject,
            body=body,
            channel=self._pick(self.channels, self.channel_cum),
            priority=priority,
            team=team,
            assignee=agent,
            tags=sorted(set(tags)),
        )
        self._conversation(plan, agent)
        return plan

    def _fresh(self, plan: TicketPlan, lines: list[str]) -> str:
        """A line not yet used in this ticket when there is one: agents and customers do not repeat themselves."""
        unused = [line for line in lines if line not in plan.used]
        line = self.rng.choice(unused or lines)
        plan.used.add(line)
        return line

    def _agent_text(self, plan: TicketPlan, purpose: str, agent_first: str) -> str:
        lang = plan.language
        lines = P.AGENT_LINES[purpose].get(lang) or P.AGENT_LINES[purpose]["en"]
        if purpose == "ask" and all(line in plan.used for line in lines):
            lines = P.AGENT_LINES["update"].get(lang) or P.AGENT_LINES["update"]["en"]
        line = self._fresh(plan, lines)
        first = plan.contact.first_name
        return (
            P.GREETING[lang].replace("{name}", first)
            + "\n\n"
            + line
            + "\n\n"
            + P.SIGNOFF[lang].replace("{agent}", agent_first)
        )

    def _conversation(self, plan: TicketPlan, agent: str) -> None:
        rng = self.rng
        agent_first = agent.capitalize()
        lang = plan.language
        reason = plan.topic["reason"]
        t = plan.created
        # First response: faster for urgent work, slower at weekends and at night.
        median = {"urgent": 0.7, "high": 2.5, "normal": 6.0, "low": 14.0}[plan.priority]
        t += self._delay(median)
        if rng.random() < 0.1:
            t += self._delay(30, 0.6)  # a busy week: some tickets wait in the queue for a day or two
        if epoch_to_dt(t).weekday() >= 5 and rng.random() < 0.7:
            t += DAY * (7 - epoch_to_dt(t).weekday())  # most weekend mail waits for Monday
        steps: list[Step] = []
        if rng.random() < 0.4:
            notes = [
                n
                for n in P.NOTES
                if (plan.contact.company_name or "{company}" not in n)
                and (plan.language != "en" or not n.startswith("Translated"))
            ]
            steps.append(Step("note", t - 60, self._fill(rng.choice(notes), plan.contact)))
        macro_ok = lang == "en"
        if reason == "Feature request":
            steps.append(
                Step(
                    "reply",
                    t,
                    self._agent_text(plan, "answer", agent_first),
                    status="solved",
                    macro="Feature request logged" if macro_ok else None,
                )
            )
        elif reason in ("Bug report",) and rng.random() < 0.35:
            steps.append(Step("note", t, self._fill(P.NOTES[0], plan.contact)))
            steps.append(
                Step(
                    "reply",
                    t + 120,
                    self._agent_text(plan, "update", agent_first),
                    status="on_hold",
                    macro="Escalated to engineering" if macro_ok else None,
                )
            )
            t += self._delay(200, 0.7)  # engineering takes days
            steps.append(Step("reply", t, self._agent_text(plan, "answer", agent_first), status="solved"))
        else:
            rounds = 0 if rng.random() < 0.25 else 1 + int(rng.expovariate(0.9))
            if rng.random() < 0.01:
                rounds = rng.randint(8, 11)  # a long thread: detail pages with 20+ messages exist
            silent = False
            for _ in range(rounds):
                steps.append(
                    Step(
                        "reply",
                        t,
                        self._agent_text(plan, "ask", agent_first),
                        status="pending",
                        macro="Need more information" if macro_ok and rng.random() < 0.3 else None,
                    )
                )
                if rng.random() < 0.15:
                    silent = True  # the customer never answers; the agent closes it after three days
                    break
                t += self._delay(10, 1.0)
                follow = P.CUSTOMER_FOLLOW_UPS.get(lang) or P.CUSTOMER_FOLLOW_UPS["en"]
                answers = [f for i, f in enumerate(follow) if i in (0, 2, 3)]  # screenshot, still broken, news?
                steps.append(Step("customer", t, self._fresh(plan, answers)))
                t += self._delay(2, 0.8)
            if silent or rng.random() < 0.08:
                if not silent:
                    steps.append(Step("reply", t, self._agent_text(plan, "answer", agent_first), status="pending"))
                t += self._delay(120 if silent else 72, 0.3)
                steps.append(
                    Step(
                        "reply",
                        t,
                        self._agent_text(plan, "answer", agent_first),
                        status="solved",
                        macro="Closing: no reply" if macro_ok else None,
                    )
                )
            else:
                macro = (
                    "Invoice copy sent" if macro_ok and plan.topic["key"] == "invoice" and rng.random() < 0.6 else None
                )
                steps.append(
                    Step("reply", t, self._agent_text(plan, "answer", agent_first), status="solved", macro=macro)
                )
        # A thank-you after the solve sometimes reopens the ticket; the agent solves it again.
        if rng.random() < 0.2:
            t = steps[-1].at + self._delay(3, 0.8)
            follow = P.CUSTOMER_FOLLOW_UPS.get(lang) or P.CUSTOMER_FOLLOW_UPS["en"]
            steps.append(Step("customer", t, follow[1]))
            steps.append(
                Step("reply", t + self._delay(1, 0.5), self._agent_text(plan, "answer", agent_first), status="solved")
            )
        steps.sort(key=lambda s: s.at)
        last_solve = None
        for s in steps:
            if s.kind == "reply" and s.status == "solved":
                last_solve = s.at
        if last_solve is not None and last_solve + AUTO_CLOSE_AFTER < self.now and steps[-1].status == "solved":
            steps.append(Step("close", last_solve + AUTO_CLOSE_AFTER))
        # Cut the story at "now": what has not happened yet is dropped.
        plan.steps = [s for s in steps if s.at < self.now - 30]
        self._settle(plan)

    def _settle(self, plan: TicketPlan) -> None:
        """Derive status and timestamps from the steps that happened, as the services would."""
        status, first_response, solved = "new", None, None
        for s in plan.steps:
            if s.kind == "reply":
                first_response = first_response or s.at
                status = s.status or ("open" if status == "new" else status)
                if status == "solved":
                    solved = s.at
            elif s.kind == "customer":
                if status in ("pending", "solved", "on_hold"):
                    status, solved = "open", None
            elif s.kind == "close":
                status = "closed"
        plan.status, plan.first_response, plan.solved = status, first_response, solved
        plan.updated = plan.steps[-1].at if plan.steps else plan.created
        if status == "new" and self.rng.random() < 0.6:
            plan.assignee = None  # fresh tickets often wait in the team queue
