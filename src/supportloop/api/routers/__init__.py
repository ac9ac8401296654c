"""Routers per domain, mounted under /api/v1/. Add a new domain's router here."""
from supportloop.api.routers import tickets

ROUTERS = [
    ("/tickets", tickets.router),
]
