"""The demo app: demo and scale data for supportloop (`supportloop seed --help`, management/commands/seed.py).

The top floor of the import order (last in INSTALLED_APPS): it may import every app and no app imports it, so
core stays the ground floor. Modules: phrases (hand-written texts in seven languages), plan (a deterministic plan
of the ticket history, no database), workspace (staff, taxonomy, macros, customers and tickets through the
services), bulk (row loader for 100k .. 1M+ tickets on PostgreSQL and SQLite). Apps above tickets add their own
data through a `<app>/seeding.py` hook that the `seed` command calls (feedback/seeding.py).
"""
