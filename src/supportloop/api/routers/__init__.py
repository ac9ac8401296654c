"""Routers per domain, mounted under /api/v1/. Add a new domain's router here."""

from supportloop.api.routers import (
    accounts,
    analytics,
    attachments,
    changes,
    companies,
    contacts,
    feedback,
    macros,
    mail,
    routing,
    search,
    sla,
    taxonomy,
    tickets,
)
from supportloop.team.api import router as team_router

ROUTERS = [
    ("/tickets", tickets.router),
    ("/tickets", attachments.router),
    ("/contacts", contacts.router),
    ("/companies", companies.router),
    ("/taxonomy", taxonomy.router),
    ("/macros", macros.router),
    ("/users", accounts.users),
    ("/teams", accounts.teams),
    ("/tokens", accounts.tokens),
    ("/changes", changes.router),
    ("/feedback", feedback.router),
    ("/feedback", analytics.router),
    ("/mail", mail.router),
    ("/search", search.router),
    ("/routing", routing.router),
    ("/sla", sla.router),
    ("/tickets", sla.ticket_router),
    ("/team", team_router),
]
