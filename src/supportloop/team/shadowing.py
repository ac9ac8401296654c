"""Shadowing: agents offer slots, anyone signs up, a debrief records what they saw, and each finding becomes
feedback evidence in two clicks. Services (writes, one transaction and one audit event each) and the report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from supportloop.accounts.models import Team, User
from supportloop.accounts.permissions import SUPPORT
from supportloop.core.errors import Conflict, PermissionDenied, ValidationFailed
from supportloop.core.services import event_record
from supportloop.team.models import ShadowFinding, ShadowSignup, ShadowSlot

MAX_FINDINGS = 20
SOURCE = "Shadowing session"


@transaction.atomic
def shadow_slot_create(
    *, host: User, starts_at: datetime, ends_at: datetime, actor: User, seats: int = 1, note: str = ""
) -> ShadowSlot:
    if host.role not in SUPPORT:
        raise ValidationFailed(_("Only agents, leads and admins host shadowing."), errors={"host": _("not an agent")})
    if ends_at <= starts_at:
        raise ValidationFailed(_("The slot ends before it starts."), errors={"ends_at": _("before the start")})
    if not 1 <= seats <= 10:
        raise ValidationFailed(_("Seats are 1 to 10."), errors={"seats": "1..10"})
    slot = ShadowSlot.objects.create(host=host, starts_at=starts_at, ends_at=ends_at, seats=seats, note=note[:200])
    event_record(actor=actor, verb="team.shadow_slot_offered", target=slot, changes={"starts_at": [None, starts_at]})
    return slot


@transaction.atomic
def shadow_signup(*, slot: ShadowSlot, visitor: User) -> ShadowSignup:
    slot = ShadowSlot.objects.select_for_update().get(pk=slot.pk)
    if slot.host_id == visitor.pk:
        raise ValidationFailed(_("You cannot shadow yourself."), errors={"slot": _("your own slot")})
    if ShadowSignup.objects.filter(slot=slot, visitor=visitor).exists():
        raise Conflict(_("You are signed up already."), errors={"slot": _("already signed up")})
    if slot.signups.count() >= slot.seats:
        raise Conflict(_("This slot is full."), errors={"slot": _("full")})
    signup = ShadowSignup.objects.create(slot=slot, visitor=visitor)
    event_record(actor=visitor, verb="team.shadow_signed_up", target=signup)
    return signup


@transaction.atomic
def shadow_debrief(*, signup: ShadowSignup, actor: User, saw: str, findings: list[str]) -> list[ShadowFinding]:
    """The visitor's debrief: what they saw, and findings (one per line)."""
    if actor.pk != signup.visitor_id:
        raise PermissionDenied(_("Only the visitor writes the debrief."))
    saw = (saw or "").strip()
    lines = [f.strip() for f in findings if f.strip()]
    if not saw and not lines:
        raise ValidationFailed(_("Write what you saw."), errors={"saw": _("required")})
    if len(lines) > MAX_FINDINGS:
        raise ValidationFailed(_("At most 20 findings at once."), errors={"findings": _("too many")})
    signup.debrief = saw
    signup.debriefed_at = timezone.now()
    signup.save(update_fields=["debrief", "debriefed_at"])
    made = [ShadowFinding.objects.create(signup=signup, text=line[:2000]) for line in lines]
    event_record(actor=actor, verb="team.shadow_debriefed", target=signup, changes={"findings": [None, len(made)]})
    return made


@transaction.atomic
def shadow_finding_to_feedback(
    *, finding: ShadowFinding, actor: User, item: Any | None = None, kind: str = "improvement"
) -> Any:
    """Make the finding evidence on `item`, or on a new item titled after it (the second click)."""
    from supportloop.feedback.services import evidence_add, feedback_item_create

    finding = ShadowFinding.objects.select_for_update().select_related("signup__slot").get(pk=finding.pk)
    if finding.feedback_item_id is not None:
        raise Conflict(_("This finding is feedback already."), errors={"finding": _("already linked")})
    if item is None:
        item = feedback_item_create(kind=kind, title=finding.text[:150], problem=finding.text, actor=actor)
    evidence_add(
        item=item,
        actor=actor,
        quote=finding.text,
        source=SOURCE,
        heard_at=finding.signup.slot.starts_at,
    )
    finding.feedback_item = item
    finding.save(update_fields=["feedback_item"])
    event_record(actor=actor, verb="team.shadow_finding_filed", target=finding, changes={"item": [None, item.pk]})
    return item


def shadow_report() -> list[dict[str, Any]]:
    """Who shadowed how often (sessions with a debrief and all sign-ups), per team of the visitor; people in no
    team under "(no team)"."""
    people = (
        User.objects.filter(shadow_signups__isnull=False)
        .annotate(
            signups=Count("shadow_signups", distinct=True),
            debriefed=Count("shadow_signups", filter=Q(shadow_signups__debriefed_at__isnull=False), distinct=True),
        )
        .prefetch_related("teams")
        .order_by("username")
    )
    rows: dict[str, dict[str, Any]] = {}
    for person in people:
        teams: list[Team] = list(person.teams.all())
        for name in [t.name for t in teams] or [str(_("(no team)"))]:
            row = rows.setdefault(name, {"team": name, "people": [], "sessions": 0})
            row["people"].append({"name": str(person), "signups": person.signups, "debriefed": person.debriefed})
            row["sessions"] += person.debriefed
    return sorted(rows.values(), key=lambda r: r["team"])
