"""`supportloop serve` under a supervisor: SIGTERM to the supervised pid stops the server (a real process)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from supportloop_testing.net import free_port


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/login/")
        return conn.getresponse().status > 0
    except OSError:
        return False


def _pids_serving(bind: str) -> list[int]:
    """Processes (ours: the bind address holds a port chosen by this test) whose command line names the bind."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if bind in cmdline:
                found.append(int(entry.name))
    return found


def test_sigterm_to_serve_stops_gunicorn_and_the_port(tmp_path):
    port = free_port()
    bind = f"127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in {"SUPPORTLOOP_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        SUPPORTLOOP_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "supportloop", "serve", "--bind", bind, "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "serve did not answer within 60 s"
            time.sleep(0.2)

        proc.send_signal(signal.SIGTERM)  # what systemd or `docker stop` sends to the supervised pid
        proc.wait(timeout=15)
        deadline = time.monotonic() + 10
        while (_answers(port) or _pids_serving(bind)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _answers(port), "the port still answers after SIGTERM"
        assert _pids_serving(bind) == [], "a gunicorn process outlived the supervised pid"
    finally:
        for pid in [*_pids_serving(bind), proc.pid]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        proc.stderr.close()
