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

import supportloop
from supportloop_testing.net import free_port

# The src directory of this checkout: the child must run this code, not whatever checkout the virtualenv was
# installed from (an editable install points at one tree; worktrees and CI copies are others).
SRC = str(Path(supportloop.__file__).resolve().parents[1])


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


def test_the_child_runs_this_checkout(tmp_path):
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run(
        [sys.executable, "-c", "import supportloop; print(supportloop.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(out.stdout.strip()).resolve().is_relative_to(Path(SRC))


def test_sigterm_to_serve_stops_gunicorn_and_the_port(tmp_path):
    port = free_port()
    bind = f"127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in {"SUPPORTLOOP_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        SUPPORTLOOP_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PYTHONPATH=os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH", "")) if p),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "supportloop", "serve", "--bind", bind, "--workers", "1"],
        env=env,
        cwd=tmp_path,  # not the checkout: what runs comes from PYTHONPATH alone
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
