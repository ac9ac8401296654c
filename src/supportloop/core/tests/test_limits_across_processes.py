"""The sign-in throttle and the API limits hold across processes: two gunicorn servers (one worker each, two
ports) share one file-based SQLite database and no Redis, and parallel requests are spread over both.

Before the counters moved to the database, each process counted on its own (local-memory cache): 50 parallel
wrong passwords got 10 checks through instead of 5, and the API rate doubled.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

LOCKED = "Too many failed sign-in attempts"
WRONG = "Please enter a correct username and password"

SETUP = """
from supportloop.accounts.services import api_token_create, user_create
for name in ("agent", "api", "other"):
    user = user_create(username=name, password="pw-123456-x", role="agent")
    print("TOKEN", name, api_token_create(user=user, name="t")[1])
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port: int, method: str, path: str, body: str = "", headers: dict | None = None) -> tuple[int, str, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode(), dict(response.getheaders())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    base = tmp_path_factory.mktemp("two-processes")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUPPORTLOOP_", "DJANGO_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{base / 'db.sqlite3'}",
        SUPPORTLOOP_VAR_DIR=str(base),
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SUPPORTLOOP_SIGN_IN_ADDRESS_LIMIT="10",
        SUPPORTLOOP_API_RATE="7/m",
        SUPPORTLOOP_API_BAD_TOKEN_RATE="6/m",
        SUPPORTLOOP_TRUSTED_PROXIES="127.0.0.1",
        PYTHONPATH=os.pathsep.join(sys.path),
    )
    run = [sys.executable, "-m", "supportloop"]
    subprocess.run([*run, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    out = subprocess.run(
        [*run, "shell", "-c", SETUP], env=env, check=True, timeout=120, capture_output=True, text=True
    ).stdout
    tokens = dict(line.split()[1:] for line in out.splitlines() if line.startswith("TOKEN "))
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "supportloop.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 60
        for port in ports:
            while True:
                try:
                    if _call(port, "GET", "/login/")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "the servers did not start"
                time.sleep(0.2)
        yield {"ports": ports, "tokens": tokens, "db": base / "db.sqlite3", "pids": [p.pid for p in procs]}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def _spread(servers, n: int, call) -> list:
    """n calls, alternating between the two servers, 12 at a time."""
    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(lambda i: call(servers["ports"][i % 2]), range(n)))


def _sign_in(port: int, username: str, password: str) -> str:
    status, html, headers = _call(port, "GET", "/login/")
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", "")).group(1)
    form = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": form})
    status, html, headers = _call(
        port,
        "POST",
        "/login/",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}"},
    )
    return "signed-in" if status == 302 else LOCKED if LOCKED in html else WRONG if WRONG in html else html


def test_the_servers_are_two_processes(servers):
    assert len(set(servers["pids"])) == 2 and len(set(servers["ports"])) == 2


def test_fifty_parallel_wrong_passwords_over_two_processes_check_exactly_five(servers):
    answers = _spread(servers, 50, lambda port: _sign_in(port, "agent", "wrong"))
    assert answers.count(WRONG) == 5 and answers.count(LOCKED) == 45
    assert _sign_in(servers["ports"][1], "agent", "pw-123456-x") == LOCKED  # even the right password
    with sqlite3.connect(servers["db"]) as db:
        rows = db.execute(
            "SELECT outcome, COUNT(*) FROM accounts_signinfailure WHERE username = 'agent' "
            "GROUP BY outcome ORDER BY outcome"
        ).fetchall()
    assert rows == [("failed", 5), ("locked_out", 1)]
    # The address limit (10) holds across them too: 5 failures already, so 5 more names get a check.
    answers = _spread(servers, 20, lambda port: _sign_in(port, f"guess{port}-{time.monotonic_ns()}", "wrong"))
    assert answers.count(WRONG) == 5 and answers.count(LOCKED) == 15


def test_the_api_rate_per_account_holds_over_two_processes(servers):
    bearer = {"Authorization": f"Bearer {servers['tokens']['api']}"}
    statuses = _spread(servers, 20, lambda port: _call(port, "GET", "/api/v1/users/me", headers=bearer)[0])
    assert statuses.count(200) == 7 and statuses.count(429) == 13


def test_wrong_tokens_per_client_address_hold_over_two_processes_and_spare_other_clients(servers):
    def guess(port):
        return _call(
            port,
            "GET",
            "/api/v1/users/me",
            headers={"Authorization": "Bearer slp_guess", "X-Forwarded-For": "203.0.113.5"},
        )[0]

    statuses = _spread(servers, 20, guess)
    assert statuses.count(401) == 6 and statuses.count(429) == 14
    right = {"Authorization": f"Bearer {servers['tokens']['other']}"}
    assert (
        _call(servers["ports"][0], "GET", "/api/v1/users/me", headers={**right, "X-Forwarded-For": "203.0.113.5"})[0]
        == 429
    )
    assert (
        _call(servers["ports"][1], "GET", "/api/v1/users/me", headers={**right, "X-Forwarded-For": "203.0.113.6"})[0]
        == 200
    )
