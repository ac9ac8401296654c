"""Demo and scale data for supportloop: see `supportloop seed --help` and core/management/commands/seed.py.

Modules: phrases (hand-written texts in seven languages), plan (a deterministic plan of the ticket history,
no database), workspace (staff, taxonomy, macros, customers and tickets through the services), bulk (row
loader for 100k .. 1M+ tickets on PostgreSQL and SQLite).
"""
