"""Role matrix rows of the incidents API: admins and leads declare, link, unlink and resolve."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case, World


def _incident(w: World):
    from supportloop.automation.services.incidents import incident_declare

    return incident_declare(actor=w.admin, title=f"Outage {w.n()}", customer_text="We are on it.", keywords=["x"])


def _setup(w: World) -> None:
    w.extra["incident"] = _incident(w)


INC = "/api/v1/incidents"
CASES = {
    ("GET", INC): Case("incident.manage", lambda w: "incidents", setup=_setup),
    ("POST", INC): Case(
        "incident.manage",
        lambda w: "incidents",
        body=lambda w: {"title": f"Down {w.n()}", "customer_text": "Sorry.", "keywords": ["login"]},
        status=201,
    ),
    ("GET", f"{INC}/{{incident_id}}"): Case(
        "incident.manage", lambda w: f"incidents/{w.extra['incident'].pk}", setup=_setup
    ),
    ("POST", f"{INC}/{{incident_id}}/tickets"): Case(
        # A fresh incident per call: every allowed role links the same ticket once.
        "incident.manage",
        lambda w: f"incidents/{_incident(w).pk}/tickets",
        body=lambda w: {"ticket": w.ticket.number},
        status=201,
    ),
    ("DELETE", f"{INC}/{{incident_id}}/tickets/{{number}}"): Case(
        "incident.manage", lambda w: f"incidents/{_linked_url(w)}", status=204
    ),
    ("GET", f"{INC}/{{incident_id}}/resolve-preview"): Case(
        "incident.manage", lambda w: f"incidents/{w.extra['incident'].pk}/resolve-preview", setup=_setup
    ),
    ("POST", f"{INC}/{{incident_id}}/resolve"): Case(
        "incident.manage", lambda w: f"incidents/{_incident(w).pk}/resolve", body=lambda w: {}
    ),
}


def _linked_url(w: World) -> str:
    from supportloop.automation.services.incidents import incident_ticket_link

    incident = _incident(w)
    incident_ticket_link(incident=incident, ticket=w.ticket, actor=w.admin)
    return f"{incident.pk}/tickets/{w.ticket.number}"
