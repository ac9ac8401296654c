"""supportloop's test toolkit (test code: it lives in tests/, outside the shipped package).

- fixtures.py: the pytest plugin the root conftest.py loads: make_company, make_contact, make_ticket, make_item,
  each built on the services, so rollups, counters and audit events are as in production.
- mail.py: raw_mail(), the one builder of RFC 822 bytes for the mail tests.
- dovecot.py: a private Dovecot IMAP server (the mailserver tests and benchmarks/mail_ingest.py).
- net.py: free_port().

pytest puts tests/ on sys.path (pyproject.toml, [tool.pytest.ini_options] pythonpath), so tests import
`supportloop_testing.<module>`.
"""
