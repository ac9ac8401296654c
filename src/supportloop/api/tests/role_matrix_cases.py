"""Every API operation, the role-matrix action that guards it, and a valid request for it.

test_role_matrix.py enumerates the OpenAPI paths and fails for any operation without a row here, so a new
endpoint cannot ship unchecked. To add one (feedback, mail, ...): add a row keyed by
(METHOD, OpenAPI path) with the action from accounts/permissions.ROLE_MATRIX, a function building the URL
(and body) from the World, and the status an allowed role gets. If you need objects of your own app, add a
`setup` function: it receives the World and may store them in `world.extra`.

Other apps keep their rows in their own file, `supportloop/<app>/tests/role_matrix_cases.py`, defining
`CASES = {...}` with this module's Case and World; all_cases() merges every such file it finds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

_unique = itertools.count(1)


@dataclass
class World:
    """Objects every case can point at, built once per test with the services."""

    admin: Any
    company: Any
    contact: Any
    ticket: Any
    message: Any
    attachment: Any
    area: Any
    feature: Any
    reason: Any
    macro: Any
    team: Any
    user: Any
    caller_token_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def n() -> int:
        """A number never used before in this process, for unique names and emails."""
        return next(_unique)


def build_world() -> World:
    from supportloop.accounts.services import team_create, user_create
    from supportloop.customers.services import company_create, contact_create
    from supportloop.tickets.services import (
        attachment_add,
        contact_reason_create,
        macro_create,
        product_area_create,
        product_feature_create,
        ticket_create,
    )
    from supportloop.tickets.services.tickets import IncomingFile

    admin = user_create(username="world-admin", role="admin")
    user = user_create(username="world-agent", role="agent", email="agent@staff.example")
    team = team_create(name="Tier 1", slug="tier-1", members=[user], actor=admin)
    company = company_create(name="Acme", domains=["acme.example"], plan="pro", mrr=500, actor=admin)
    contact = contact_create(name="Li Wei", emails=["li@acme.example"], actor=admin)
    area = product_area_create(name="Billing", actor=admin)
    feature = product_feature_create(area=area, name="Invoices", actor=admin)
    reason = contact_reason_create(name="Question", actor=admin)
    macro = macro_create(name="Thanks", body="Hi {{ contact.first_name }}", actions={"priority": "high"}, actor=admin)
    ticket = ticket_create(subject="Invoice missing", body="Where is it?", requester=contact, actor=admin)
    message = ticket.messages.get()
    attachment = attachment_add(message=message, files=[IncomingFile("a.txt", b"hello", "text/plain")], actor=admin)[0]
    from supportloop.accounts.services import api_token_create

    admin_token, _raw = api_token_create(user=admin, name="world")
    return World(
        admin=admin,
        company=company,
        contact=contact,
        ticket=ticket,
        message=message,
        attachment=attachment,
        area=area,
        feature=feature,
        reason=reason,
        macro=macro,
        team=team,
        user=user,
        caller_token_id=admin_token.pk,
    )


@dataclass(frozen=True)
class Case:
    action: str | None  # a ROLE_MATRIX action; None: any signed-in user
    url: Callable[[World], str]
    body: Callable[[World], dict] | None = None
    status: int = 200  # what an allowed role gets
    multipart: bool = False
    public: bool = False  # reachable without signing in (e.g. a provider webhook with its own secret)
    setup: Callable[[World], None] | None = None


def _t(w: World) -> str:
    return f"tickets/{w.ticket.number}"


def _upload(w: World) -> dict:
    return {"files": SimpleUploadedFile(f"f{w.n()}.txt", b"data", content_type="text/plain")}


CASES: dict[tuple[str, str], Case] = {
    # tickets
    ("GET", "/api/v1/tickets"): Case("ticket.view", lambda w: "tickets"),
    ("POST", "/api/v1/tickets"): Case(
        "ticket.create",
        lambda w: "tickets",
        status=201,
        body=lambda w: {"subject": "Help", "body": "Text", "requester_email": f"c{w.n()}@example.org"},
    ),
    ("GET", "/api/v1/tickets/{number}"): Case("ticket.view", _t),
    ("PATCH", "/api/v1/tickets/{number}"): Case("ticket.update", _t, body=lambda w: {"priority": "high"}),
    ("POST", "/api/v1/tickets/{number}/replies"): Case(
        "ticket.reply", lambda w: f"{_t(w)}/replies", body=lambda w: {"body": "On it"}, status=201
    ),
    ("POST", "/api/v1/tickets/{number}/notes"): Case(
        "ticket.note", lambda w: f"{_t(w)}/notes", body=lambda w: {"body": "Internal"}, status=201
    ),
    ("POST", "/api/v1/tickets/{number}/macros"): Case(
        "ticket.apply_macro", lambda w: f"{_t(w)}/macros", body=lambda w: {"macro_id": w.macro.pk}
    ),
    ("GET", "/api/v1/tickets/{number}/events"): Case("event.view", lambda w: f"{_t(w)}/events"),
    ("POST", "/api/v1/tickets/{number}/attachments"): Case(
        "ticket.update", lambda w: f"{_t(w)}/attachments", body=_upload, multipart=True, status=201
    ),
    ("GET", "/api/v1/tickets/{number}/attachments/{attachment_id}"): Case(
        "ticket.view", lambda w: f"{_t(w)}/attachments/{w.attachment.pk}"
    ),
    # contacts
    ("GET", "/api/v1/contacts"): Case("customer.view", lambda w: "contacts"),
    ("POST", "/api/v1/contacts"): Case(
        "customer.write",
        lambda w: "contacts",
        status=201,
        body=lambda w: {"name": "New", "emails": [f"n{w.n()}@example.org"]},
    ),
    ("GET", "/api/v1/contacts/{contact_id}"): Case("customer.view", lambda w: f"contacts/{w.contact.pk}"),
    ("PATCH", "/api/v1/contacts/{contact_id}"): Case(
        "customer.write", lambda w: f"contacts/{w.contact.pk}", body=lambda w: {"name": f"Li {w.n()}"}
    ),
    ("GET", "/api/v1/contacts/{contact_id}/notes"): Case("customer.view", lambda w: f"contacts/{w.contact.pk}/notes"),
    ("POST", "/api/v1/contacts/{contact_id}/notes"): Case(
        "customer.write", lambda w: f"contacts/{w.contact.pk}/notes", body=lambda w: {"body": "VIP"}, status=201
    ),
    ("GET", "/api/v1/contacts/{contact_id}/tickets"): Case("ticket.view", lambda w: f"contacts/{w.contact.pk}/tickets"),
    # companies
    ("GET", "/api/v1/companies"): Case("customer.view", lambda w: "companies"),
    ("POST", "/api/v1/companies"): Case(
        "customer.write",
        lambda w: "companies",
        status=201,
        body=lambda w: {"name": "Initech", "domains": [f"d{w.n()}.example"]},
    ),
    ("GET", "/api/v1/companies/{company_id}"): Case("customer.view", lambda w: f"companies/{w.company.pk}"),
    ("PATCH", "/api/v1/companies/{company_id}"): Case(
        "customer.write", lambda w: f"companies/{w.company.pk}", body=lambda w: {"mrr": f"{w.n()}.50"}
    ),
    ("GET", "/api/v1/companies/{company_id}/notes"): Case("customer.view", lambda w: f"companies/{w.company.pk}/notes"),
    ("POST", "/api/v1/companies/{company_id}/notes"): Case(
        "customer.write", lambda w: f"companies/{w.company.pk}/notes", body=lambda w: {"body": "Renewal"}, status=201
    ),
    ("GET", "/api/v1/companies/{company_id}/tickets"): Case(
        "ticket.view", lambda w: f"companies/{w.company.pk}/tickets"
    ),
    # taxonomy
    ("GET", "/api/v1/taxonomy/areas"): Case("taxonomy.view", lambda w: "taxonomy/areas"),
    ("POST", "/api/v1/taxonomy/areas"): Case(
        "taxonomy.write", lambda w: "taxonomy/areas", body=lambda w: {"name": f"Area {w.n()}"}, status=201
    ),
    ("PATCH", "/api/v1/taxonomy/areas/{area_id}"): Case(
        "taxonomy.write", lambda w: f"taxonomy/areas/{w.area.pk}", body=lambda w: {"position": w.n()}
    ),
    ("POST", "/api/v1/taxonomy/areas/{area_id}/features"): Case(
        "taxonomy.write",
        lambda w: f"taxonomy/areas/{w.area.pk}/features",
        body=lambda w: {"name": f"Feature {w.n()}"},
        status=201,
    ),
    ("PATCH", "/api/v1/taxonomy/features/{feature_id}"): Case(
        "taxonomy.write", lambda w: f"taxonomy/features/{w.feature.pk}", body=lambda w: {"position": w.n()}
    ),
    ("GET", "/api/v1/taxonomy/reasons"): Case("taxonomy.view", lambda w: "taxonomy/reasons"),
    ("POST", "/api/v1/taxonomy/reasons"): Case(
        "taxonomy.write", lambda w: "taxonomy/reasons", body=lambda w: {"name": f"Reason {w.n()}"}, status=201
    ),
    ("PATCH", "/api/v1/taxonomy/reasons/{reason_id}"): Case(
        "taxonomy.write", lambda w: f"taxonomy/reasons/{w.reason.pk}", body=lambda w: {"is_catch_all": True}
    ),
    # macros
    ("GET", "/api/v1/macros"): Case("macro.view", lambda w: "macros"),
    ("POST", "/api/v1/macros"): Case(
        "macro.write", lambda w: "macros", body=lambda w: {"name": f"M{w.n()}", "body": "Hello"}, status=201
    ),
    ("GET", "/api/v1/macros/{macro_id}"): Case("macro.view", lambda w: f"macros/{w.macro.pk}"),
    ("PATCH", "/api/v1/macros/{macro_id}"): Case(
        "macro.write", lambda w: f"macros/{w.macro.pk}", body=lambda w: {"body": f"Hello {w.n()}"}
    ),
    ("GET", "/api/v1/macros/{macro_id}/preview"): Case(
        "macro.view", lambda w: f"macros/{w.macro.pk}/preview?ticket={w.ticket.number}"
    ),
    # users, teams, tokens
    ("GET", "/api/v1/users"): Case("user.view", lambda w: "users"),
    ("GET", "/api/v1/users/me"): Case(None, lambda w: "users/me"),
    ("POST", "/api/v1/users"): Case(
        "user.write", lambda w: "users", body=lambda w: {"username": f"u{w.n()}", "role": "viewer"}, status=201
    ),
    ("GET", "/api/v1/users/{user_id}"): Case("user.view", lambda w: f"users/{w.user.pk}"),
    ("PATCH", "/api/v1/users/{user_id}"): Case(
        "user.write", lambda w: f"users/{w.user.pk}", body=lambda w: {"first_name": f"A{w.n()}"}
    ),
    ("GET", "/api/v1/teams"): Case("user.view", lambda w: "teams"),
    ("POST", "/api/v1/teams"): Case(
        "team.write",
        lambda w: "teams",
        status=201,
        body=lambda w: (lambda n: {"name": f"Team {n}", "slug": f"team-{n}"})(w.n()),
    ),
    ("PATCH", "/api/v1/teams/{team_id}"): Case(
        "team.write", lambda w: f"teams/{w.team.pk}", body=lambda w: {"name": f"Tier {w.n()}"}
    ),
    ("GET", "/api/v1/tokens"): Case("token.manage_own", lambda w: "tokens"),
    ("POST", "/api/v1/tokens"): Case(
        "token.manage_own", lambda w: "tokens", body=lambda w: {"name": "cli"}, status=201
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): Case("token.manage_own", lambda w: f"tokens/{w.caller_token_id}"),
    # the changes feed
    ("GET", "/api/v1/changes"): Case("changes.view", lambda w: "changes"),
}


def all_cases() -> dict[tuple[str, str], Case]:
    """These rows plus every app's own `<app>/tests/role_matrix_cases.py` CASES (a key may appear only once)."""
    import importlib
    import importlib.util

    from django.conf import settings

    merged = dict(CASES)
    for app in settings.INSTALLED_APPS:
        if not app.startswith("supportloop.") or app == "supportloop.api":
            continue
        name = f"{app}.tests.role_matrix_cases"
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            continue
        extra = importlib.import_module(name).CASES
        twice = sorted(set(extra) & set(merged))
        assert not twice, f"{name} repeats rows already declared: {twice}"
        merged.update(extra)
    return merged
