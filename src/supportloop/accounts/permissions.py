"""The role matrix: the one place that says which role may do what.

Every API endpoint and page names an action from this table; nothing else decides access.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from supportloop.accounts.choices import Role
from supportloop.core.errors import PermissionDenied

ALL = frozenset(Role.values)
STAFF = frozenset({Role.ADMIN, Role.LEAD, Role.AGENT, Role.PRODUCT})
SUPPORT = frozenset({Role.ADMIN, Role.LEAD, Role.AGENT})
PRODUCT = frozenset({Role.ADMIN, Role.PRODUCT})
ADMINS = frozenset({Role.ADMIN})
LEADS = frozenset({Role.ADMIN, Role.LEAD})

ROLE_MATRIX: dict[str, frozenset[str]] = {
    # tickets
    "ticket.view": ALL,
    "ticket.create": STAFF,
    "ticket.update": SUPPORT,
    "ticket.reply": SUPPORT,
    "ticket.note": STAFF,
    "ticket.apply_macro": SUPPORT,
    # customers
    "customer.view": ALL,
    "customer.write": STAFF,
    # configuration
    "taxonomy.view": ALL,
    "taxonomy.write": ADMINS,
    "macro.view": ALL,
    "macro.write": LEADS,
    "user.view": STAFF,  # the staff directory (names, emails); viewers see only themselves (users/me)
    "user.write": ADMINS,
    "team.write": ADMINS,
    "token.manage_own": ALL,  # every role may hold tokens of its own ...
    "token.read_write": STAFF,  # ... but only these may hold tokens that write (a viewer's are read-only)
    "security.manage": ADMINS,  # the workspace's sign-in rules (which roles must use two-factor sign-in)
    "account.security_own": ALL,  # one's own two-factor sign-in and browser sessions
    "event.view": ALL,
    "changes.view": frozenset({Role.ADMIN, Role.LEAD, Role.PRODUCT, Role.VIEWER}),
    # automation: routing and assignment
    "routing.manage": LEADS,  # rules, team assignment settings, agents' capacity and skills
    "routing.away_own": SUPPORT,  # an agent sets themselves away (or back)
    # feedback
    "feedback.view": ALL,
    "feedback.evidence": STAFF,
    "feedback.file_bug": STAFF,
    "feedback.create": STAFF,
    "feedback.manage": PRODUCT,
    "feedback.export": PRODUCT | LEADS,
    "feedback.configure": ADMINS,
    "report.view": ALL,
    # analytics dashboards (Reports pages, their JSON series and CSV) and the TV links leads hand out
    "report.dashboards": frozenset({Role.ADMIN, Role.LEAD, Role.PRODUCT}),
    "report.tv_links": LEADS,
    # surveys
    "survey.view": STAFF,  # survey responses and their figures
    "survey.bad_ratings": LEADS,  # review bad ratings, pick the reason
    "survey.configure": ADMINS,
    # mail
    "mailbox.manage": ADMINS,
    "quarantine.view": ADMINS,
    "outbox.view": ADMINS,  # development and demo mode only (settings.SUPPORTLOOP_OUTBOX)
    # automation: SLA policies and business-hours calendars, and their attainment report
    "sla.manage": LEADS,
    "sla.report": LEADS,
    # automation: outbound webhooks and chat integrations (their URLs and secrets are credentials; admins only)
    "webhook.manage": ADMINS,
    # automation: triggers (event rules) and their dry run
    "triggers.manage": LEADS,
    # automation: incidents (declare, link tickets, resolve with the bulk reply)
    "incident.manage": LEADS,
    # automation: one's own in-app notifications (a trigger's or time rule's "notify"): read them, mark them read
    "notification.own": STAFF,
    # team: the support rotation, calendar feeds and the staffing forecast
    "rotation.view": ALL,  # everyone takes a turn: sees the schedule, their feed, their time off, swaps their own
    "rotation.manage": LEADS,  # members, generating and editing the schedule, anyone's swaps and time off
    "forecast.view": LEADS,
    # quality: conversation reviews (scorecards). Leads define scorecards, pick reviewers and read the report
    # (per-agent quality is personnel data: product managers and viewers see none of it, not even aggregates);
    # reviewers (leads, admins, or agents a lead chose) score the reviews assigned to them (the service checks the
    # assignment); an agent sees the done reviews of their own conversations.
    "quality.manage": LEADS,
    "quality.review": SUPPORT,
    "quality.report": LEADS,
    # privacy: one contact's export, erasure, legal holds, retention settings (docs/privacy.md)
    "privacy.manage": ADMINS,
}

# Roles a user holds for a while on top of their own (the team app's "duty": agent rights during a shift).
# Apps register a provider from AppConfig.ready(); it returns the extra role the user holds now, or None. It is
# asked only when the user's own role does not allow the action.
_temporary_role_providers: list[Callable[[Any], str | None]] = []


def register_temporary_role(provider: Callable[[Any], str | None]) -> None:
    if provider not in _temporary_role_providers:
        _temporary_role_providers.append(provider)


def can(user, action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    allowed = ROLE_MATRIX[action]
    if user.role in allowed:
        return True
    return any((role := provider(user)) is not None and role in allowed for provider in _temporary_role_providers)


def require(user, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(f"Your role may not do this ({action}).")
