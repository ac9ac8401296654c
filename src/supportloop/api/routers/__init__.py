"""Routers per domain, mounted under /api/v1/. Add a new domain's router here."""
from supportloop.api.routers import tickets
from supportloop.api.routers import feedback
from supportloop.api.routers import mail
from supportloop.api.routers import accounts, attachments, changes, companies, contacts, macros, taxonomy

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
    ("/mail", mail.router),
]
