"""Network helpers for tests: a free local port for a private server (Dovecot, aiosmtpd, gunicorn)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (another process may still take it before the bind:
    callers that bind retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
