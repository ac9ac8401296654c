"""The scale-out test (`make test-cluster`, docs/deploy.md): a small cluster on one machine, checked end to end.

It starts, all private to this run (temporary directories, free ports, removed on exit):
- PostgreSQL (a cluster of its own made with initdb) and a streaming replica of it (pg_basebackup -R);
- Redis (cache, sessions, rate limits and, with --tasks-backend rq, the task queue);
- Dovecot (IMAP, the customers' mail comes in there) and aiosmtpd (the SMTP server replies go to);
- 2 web processes (gunicorn), 2 task workers and 2 schedulers, each in its own network namespace joined to the
  machine by a veth pair (falls back to 127.0.0.x addresses without namespaces: see docs/deploy.md);
- a small round-robin HTTP proxy in front of the two web hosts (it names the host in X-Upstream).

Over a bounded run it creates tickets through both web hosts, lets mail from Dovecot be polled by the workers,
replies (mail goes out through aiosmtpd), ships a feedback item (close-the-loop mails), fires the Monday digest
from both schedulers at once, and checks: no task ran twice, no scheduled run was enqueued twice, no mail was
ingested twice, every mail was sent once, a session and a rate limit hold across the web hosts, and the report
pages read from the replica (with its measured staleness). Prints a summary; exit status 0 when all hold.

Run as root (namespaces, initdb as the postgres user): `.venv/bin/python scripts/cluster_test.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import pwd
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
VENV_BIN = Path(sys.executable).parent
SUPPORTLOOP = str(VENV_BIN / "supportloop")
PREFIX = "slc"  # namespace and link names: slc-web1, slc-web1h
SUBNET = "10.231"
HOSTS = ["web1", "web2", "worker1", "worker2", "sched1", "sched2"]
DB_NAME = "supportloop"
SECRET = "cluster-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - keep trying until the deadline
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-1500:]}{done.stdout[-500:]}")
    return done


class Cluster:
    """Everything this run starts, and how to take it down again (in reverse)."""

    def __init__(self, tasks_backend: str):
        self.tasks_backend = tasks_backend
        self.base = Path(tempfile.mkdtemp(prefix="sl-cluster-"))
        os.chmod(self.base, 0o755)
        self.cleanups: list[tuple[str, object]] = []
        self.procs: dict[str, subprocess.Popen] = {}
        self.netns = False
        self.addr: dict[str, str] = {}  # host name -> its address
        self.svc = "127.0.0.1"  # where the hosts reach PostgreSQL, Redis, Dovecot and SMTP
        self.fallback_reason = ""

    # ---- teardown -------------------------------------------------------------------------------------------
    def on_exit(self, label: str, fn) -> None:
        self.cleanups.append((label, fn))

    def close(self) -> None:
        for proc in list(self.procs.values()):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in list(self.procs.values()):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        for label, fn in reversed(self.cleanups):
            try:
                fn()  # type: ignore[operator]
            except Exception as exc:  # noqa: BLE001 - clean up the rest regardless
                print(f"cleanup {label}: {exc}", file=sys.stderr)
        shutil.rmtree(self.base, ignore_errors=True)

    # ---- network --------------------------------------------------------------------------------------------
    def network(self, use_netns: bool = True) -> None:
        """One namespace per host, each joined to the machine by a veth pair (10.231.N.2 inside, .1 outside);
        the machine's services answer on 10.231.0.1 (an address on its loopback), reached through each host's
        default route."""
        if not use_netns:
            self._fallback("--no-netns")
            return
        if os.geteuid() != 0 or shutil.which("ip") is None:
            self._fallback("not root or no `ip` command: network namespaces need CAP_NET_ADMIN")
            return
        probe = f"{PREFIX}-probe{os.getpid() % 1000}"
        if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
            self._fallback("`ip netns add` is not permitted here (no CAP_SYS_ADMIN / CAP_NET_ADMIN)")
            return
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
        for host in HOSTS:  # leftovers of a run that was killed
            subprocess.run(["ip", "netns", "del", f"{PREFIX}-{host}"], capture_output=True)
            subprocess.run(["ip", "link", "del", f"{PREFIX}-{host}h"], capture_output=True)
        self.svc = f"{SUBNET}.0.1"
        subprocess.run(["ip", "addr", "del", f"{self.svc}/32", "dev", "lo"], capture_output=True)
        run(["ip", "addr", "add", f"{self.svc}/32", "dev", "lo"])
        self.on_exit("service address", lambda: run(["ip", "addr", "del", f"{self.svc}/32", "dev", "lo"]))
        for n, host in enumerate(HOSTS, start=1):
            ns, inside, outside = f"{PREFIX}-{host}", f"{PREFIX}-{host}", f"{PREFIX}-{host}h"
            run(["ip", "netns", "add", ns])
            self.on_exit(f"netns {ns}", lambda ns=ns: run(["ip", "netns", "del", ns]))
            run(["ip", "link", "add", outside, "type", "veth", "peer", "name", inside])
            self.on_exit(
                f"link {outside}", lambda o=outside: subprocess.run(["ip", "link", "del", o], capture_output=True)
            )
            run(["ip", "link", "set", inside, "netns", ns])
            run(["ip", "addr", "add", f"{SUBNET}.{n}.1/24", "dev", outside])
            run(["ip", "link", "set", outside, "up"])
            ex = ["ip", "netns", "exec", ns]
            run([*ex, "ip", "addr", "add", f"{SUBNET}.{n}.2/24", "dev", inside])
            run([*ex, "ip", "link", "set", inside, "up"])
            run([*ex, "ip", "link", "set", "lo", "up"])
            run([*ex, "ip", "route", "add", "default", "via", f"{SUBNET}.{n}.1"])
            self.addr[host] = f"{SUBNET}.{n}.2"
        self.netns = True
        log(f"network: {len(HOSTS)} namespaces with veth pairs; services on {self.svc}")

    def _fallback(self, reason: str) -> None:
        self.fallback_reason = reason
        for n, host in enumerate(HOSTS, start=1):
            self.addr[host] = f"127.0.{n}.2"
        log(f"network: no namespaces ({reason}); hosts on 127.0.N.2 loopback addresses")

    def host_cmd(self, host: str, cmd: list[str]) -> list[str]:
        return ["ip", "netns", "exec", f"{PREFIX}-{host}", *cmd] if self.netns else cmd

    # ---- services -------------------------------------------------------------------------------------------
    def postgres(self) -> None:
        pg_bin = Path(run(["pg_config", "--bindir"]).stdout.strip())
        if not (pg_bin / "initdb").exists():
            pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.pg_bin = pg_bin
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.as_pg = as_pg
        primary, replica = self.base / "pg-primary", self.base / "pg-replica"
        sockets = self.base / "pg-sockets"
        for d in (primary, replica, sockets):
            d.mkdir()
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            for d in (primary, replica, sockets):
                os.chown(d, pg.pw_uid, pg.pw_gid)
        os.chmod(replica, 0o700)
        self.pg_port, self.replica_port = free_port(), free_port()
        run([*as_pg, str(pg_bin / "initdb"), "-D", str(primary), "-U", "postgres", "-A", "trust", "-E", "UTF8"])
        listen = "127.0.0.1" + (f",{self.svc}" if self.svc != "127.0.0.1" else "")
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '{listen}'\nport = {self.pg_port}\nunix_socket_directories = '{sockets}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 64MB\n"
                "max_connections = 100\nwal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                "wal_receiver_status_interval = 1s\nhot_standby_feedback = on\n"
            )
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {SUBNET}.0.0/16 trust\nhost replication all 127.0.0.1/32 trust\n")
        self._pg_ctl(primary, "start")
        self.on_exit("primary", lambda: self._pg_ctl(primary, "stop"))
        run([*as_pg, str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", DB_NAME])
        started = time.monotonic()
        run(
            [
                *as_pg,
                str(pg_bin / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.pg_port),
                "-U",
                "postgres",
                "-D",
                str(replica),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ]
        )
        with open(replica / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.replica_port}\n")
        self._pg_ctl(replica, "start")
        self.on_exit("replica", lambda: self._pg_ctl(replica, "stop"))
        self.basebackup_seconds = time.monotonic() - started
        log(
            f"postgres: primary :{self.pg_port}, streaming replica :{self.replica_port} "
            f"(pg_basebackup + start {self.basebackup_seconds:.1f} s)"
        )

    def _pg_ctl(self, data: Path, action: str) -> None:
        extra = ["-m", "fast"] if action == "stop" else ["-l", str(data.parent / "pg-sockets" / f"{data.name}.log")]
        try:
            run([*self.as_pg, str(self.pg_bin / "pg_ctl"), "-D", str(data), "-w", "-t", "60", *extra, action])
        except RuntimeError as exc:
            logfile = data.parent / "pg-sockets" / f"{data.name}.log"
            raise RuntimeError(f"{exc}\n{logfile.read_text()[-1500:] if logfile.exists() else ''}") from None

    def psql(self, port: int, sql: str) -> str:
        return run(
            ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", DB_NAME, "-XAtc", sql]
        ).stdout.strip()

    def redis(self) -> None:
        self.redis_port = free_port()
        binds = ["127.0.0.1"] + ([self.svc] if self.svc != "127.0.0.1" else [])
        self.start(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                *binds,
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
                "--dir",
                str(self.base),
            ],
        )
        wait_for(lambda: _redis_ping(self.redis_port), 10, "redis")
        log(f"redis :{self.redis_port}")

    def dovecot(self) -> None:
        from supportloop_testing.dovecot import start_dovecot

        self.imap = start_dovecot(label="cluster", address=self.svc)
        self.on_exit("dovecot", self.imap.remove)
        log(f"dovecot {self.svc}:{self.imap.port}")

    def smtp(self) -> None:
        from aiosmtpd.controller import Controller

        self.sink = Sink()
        self.smtp_port = free_port()
        self.smtp_controller = Controller(self.sink, hostname=self.svc, port=self.smtp_port)
        self.smtp_controller.start()
        self.on_exit("smtp", self.smtp_controller.stop)
        log(f"aiosmtpd {self.svc}:{self.smtp_port}")

    # ---- processes ------------------------------------------------------------------------------------------
    def start(self, name: str, cmd: list[str], env: dict | None = None) -> subprocess.Popen:
        out = open(self.base / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.procs[name] = proc
        return proc

    def output(self, name: str) -> str:
        path = self.base / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def env(self, host: str | None) -> dict[str, str]:
        svc = self.svc if host is not None else "127.0.0.1"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTLOOP_", "DATABASE_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="supportloop.settings",
            SECRET_KEY=SECRET,
            ALLOWED_HOSTS="127.0.0.1,localhost," + ",".join(self.addr.values()),
            DATABASE_URL=f"postgres://postgres@{svc}:{self.pg_port}/{DB_NAME}",
            DATABASE_REPLICA_URL=f"postgres://postgres@{svc}:{self.replica_port}/{DB_NAME}",
            SUPPORTLOOP_REPLICA_MAX_LAG_SECONDS="30",
            REDIS_URL=f"redis://{svc}:{self.redis_port}/0",
            SUPPORTLOOP_TASKS_BACKEND=self.tasks_backend,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=svc,
            EMAIL_PORT=str(self.smtp_port),
            EMAIL_TIMEOUT="10",
            DEFAULT_FROM_EMAIL="support@example.test",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SUPPORTLOOP_ALLOW_PRIVATE_HOSTS="1",
            SUPPORTLOOP_UNDO_SEND_SECONDS="0",
            SUPPORTLOOP_MAIL_POLL_SECONDS="10",
            SUPPORTLOOP_API_RATE="20/m",
            SUPPORTLOOP_TRUSTED_PROXIES="127.0.0.1/32," + f"{SUBNET}.0.0/16",
            SUPPORTLOOP_VAR_DIR=str(self.base / f"var-{host or 'main'}"),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        return env

    def start_hosts(self) -> None:
        for n in (1, 2):
            host = f"web{n}"
            self.start(
                host,
                self.host_cmd(host, [SUPPORTLOOP, "serve", "--bind", f"{self.addr[host]}:8000", "--workers", "2"]),
                self.env(host),
            )
            worker = f"worker{n}"
            args = ["--interval", "0.2"] if self.tasks_backend == "database" else ["--name", worker]
            self.start(worker, self.host_cmd(worker, [SUPPORTLOOP, "worker", *args]), self.env(worker))
            sched = f"sched{n}"
            self.start(sched, self.host_cmd(sched, [SUPPORTLOOP, "scheduler", "--interval", "1"]), self.env(sched))
        if self.netns:
            # Plain IMAP is allowed only to loopback (mail/services: the password would cross the network in
            # clear): each worker host reaches Dovecot through a local forwarder, where production has stunnel.
            for n in (1, 2):
                self.start(
                    f"imap-forward{n}",
                    self.host_cmd(
                        f"worker{n}",
                        [
                            sys.executable,
                            __file__,
                            "--forward",
                            f"127.0.0.1:{self.imap.port}",
                            f"{self.svc}:{self.imap.port}",
                        ],
                    ),
                )
        for n in (1, 2):
            url = f"http://{self.addr[f'web{n}']}:8000/health/"
            wait_for(lambda url=url: urllib.request.urlopen(url, timeout=2).status == 200, 60, url)
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited at start:\n{self.output(name)[-3000:]}")
        log("hosts: web1, web2 (gunicorn), worker1, worker2, sched1, sched2 up")


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")


class Sink:
    """aiosmtpd handler: every message the cluster sends, with its Message-ID and recipients."""

    def __init__(self):
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(
                {
                    "message_id": str(msg.get("Message-ID", "")),
                    "to": [a.lower() for a in envelope.rcpt_tos],
                    "subject": str(msg.get("Subject", "")),
                    "auto": str(msg.get("Auto-Submitted", "")),
                }
            )
        return "250 OK"

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.messages)


class RoundRobinProxy(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """In front of the web hosts as nginx would be: each request to the next host; the response says which
    (X-Upstream). Enough HTTP/1.1 for the test: whole bodies, no streaming."""

    daemon_threads = True

    def __init__(self, upstreams: list[str]):
        self.upstreams, self.turn, self.lock = upstreams, 0, threading.Lock()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    def next_upstream(self) -> str:
        with self.lock:
            self.turn += 1
            return self.upstreams[self.turn % len(self.upstreams)]


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _forward(self):
        upstream = self.server.next_upstream()  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
        headers["X-Forwarded-For"] = self.client_address[0]
        request = urllib.request.Request(
            f"http://{upstream}{self.path}", data=body, method=self.command, headers=headers
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(request, timeout=60)
            status, rheaders, data = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, rheaders, data = exc.code, exc.headers, exc.read()
        self.send_response(status)
        for key, value in rheaders.items():
            if key.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server"):
                self.send_header(key, value)
        self.send_header("X-Upstream", upstream)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A person's browser behind the proxy: cookies kept, CSRF token sent back, the serving host noted."""

    def __init__(self, base: str):
        import httpx

        self.client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
        self.hosts: list[str] = []

    def get(self, path: str, **kw):
        response = self.client.get(path, **kw)
        self.hosts.append(response.headers.get("X-Upstream", ""))
        return response

    def post(self, path: str, data: dict, **kw):
        token = self.client.cookies.get("csrftoken", "")
        response = self.client.post(
            path, data={**data, "csrfmiddlewaretoken": token}, headers={"Referer": str(self.client.base_url)}, **kw
        )
        self.hosts.append(response.headers.get("X-Upstream", ""))
        return response


class LagMonitor(threading.Thread):
    """Every 0.2 s: the replica's staleness as core/db.py measures it, and the primary's replay_lag."""

    def __init__(self, cluster: Cluster):
        super().__init__(daemon=True)
        self.cluster, self.samples, self.replay_lag, self.stopped = cluster, [], [], threading.Event()

    def run(self):
        import psycopg

        from supportloop.core.db import STALENESS_SQL

        dsn = f"host=127.0.0.1 port={self.cluster.replica_port} user=postgres dbname={DB_NAME}"
        primary = f"host=127.0.0.1 port={self.cluster.pg_port} user=postgres dbname={DB_NAME}"
        with psycopg.connect(dsn, autocommit=True) as rep, psycopg.connect(primary, autocommit=True) as pri:
            while not self.stopped.wait(0.2):
                row = rep.execute(STALENESS_SQL).fetchone()
                if row and row[2] is not None and row[1] == "streaming":
                    self.samples.append(float(row[2]))
                lag = pri.execute("SELECT EXTRACT(EPOCH FROM replay_lag)::float8 FROM pg_stat_replication").fetchone()
                if lag and lag[0] is not None:
                    self.replay_lag.append(float(lag[0]))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def setup_django(cluster: Cluster) -> None:
    os.environ.update(cluster.env(None))
    import django

    django.setup()


def migrate_and_seed(cluster: Cluster, mail_count: int) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from supportloop.accounts.choices import Role
    from supportloop.accounts.services import api_token_create, user_create
    from supportloop.customers.services import contact_create
    from supportloop.feedback.services import feedback_item_create
    from supportloop.feedback.services.evidence import evidence_add
    from supportloop.mail.choices import ImapSecurity
    from supportloop.mail.services import mailbox_create
    from supportloop_testing.dovecot import IMAP_PASSWORD

    users = {}
    for name, role in [
        ("admin", Role.ADMIN),
        ("creator", Role.AGENT),
        ("replier", Role.AGENT),
        ("pm", Role.PRODUCT),
        ("limited", Role.AGENT),
    ]:
        users[name] = user_create(username=name, email=f"{name}@staff.example", password="pw-cluster-123", role=role)
    tokens = {name: api_token_create(user=user, name="cluster")[1] for name, user in users.items()}
    mailbox_create(
        address="support@example.test",
        name="Example Support",
        imap_host="127.0.0.1",  # plain IMAP only to loopback: each worker host forwards it (stunnel's place)
        imap_port=cluster.imap.port,
        imap_security=ImapSecurity.NONE,
        imap_username="support",
        password=IMAP_PASSWORD,
    )
    item = feedback_item_create(kind="feature_request", title="Export reports to Excel", actor=users["pm"])
    asked = []
    for n in range(3):
        contact = contact_create(name=f"Asker {n}", emails=[f"asker{n}@customers.example"])
        evidence_add(item=item, actor=users["pm"], contact=contact, source="Sales call", quote="Excel, please")
        asked.append(f"asker{n}@customers.example")
    return {"tokens": tokens, "item_id": item.pk, "asked": asked}


def customer_mail(n: int) -> bytes:
    from supportloop_testing.mail import raw_mail

    return raw_mail(
        f"cluster-{n}@customers.example",
        frm=f"Customer {n} <customer{n}@customers.example>",
        subject=f"Cluster question {n}",
        body=f"Question number {n}.",
        date="Sun, 06 Dec 2026 10:00:00 +0000",
    )


def forward(listen: str, target: str) -> None:
    """A TCP forwarder (run inside a host's namespace): connections to `listen` go on to `target`."""
    lhost, lport = listen.rsplit(":", 1)
    thost, tport = target.rsplit(":", 1)

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    server = socket.create_server((lhost, int(lport)))
    while True:
        client, _addr = server.accept()
        upstream = socket.create_connection((thost, int(tport)))
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--forward":
        forward(sys.argv[2], sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks-backend", choices=["database", "rq"], default="database")
    parser.add_argument("--mails", type=int, default=12, help="customer mails put into Dovecot")
    parser.add_argument("--tickets", type=int, default=10, help="tickets created through the API")
    parser.add_argument("--json", help="also write the summary to this file")
    parser.add_argument("--no-netns", action="store_true", help="hosts on 127.0.N.2 instead of namespaces")
    args = parser.parse_args()
    started = time.monotonic()
    cluster = Cluster(args.tasks_backend)
    failures: list[str] = []
    summary: dict = {"tasks_backend": args.tasks_backend}

    def check(ok: bool, text: str) -> None:
        log(("ok   " if ok else "FAIL ") + text)
        if not ok:
            failures.append(text)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        cluster.network(use_netns=not args.no_netns)
        summary["network"] = "namespaces" if cluster.netns else f"loopback ({cluster.fallback_reason})"
        cluster.postgres()
        cluster.redis()
        cluster.dovecot()
        cluster.smtp()
        setup_django(cluster)
        seeded = migrate_and_seed(cluster, args.mails)
        log(f"migrated and seeded in {time.monotonic() - started:.0f} s since start")
        monitor = LagMonitor(cluster)
        monitor.start()
        cluster.start_hosts()
        proxy = RoundRobinProxy([f"{cluster.addr['web1']}:8000", f"{cluster.addr['web2']}:8000"])
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        cluster.on_exit("proxy", proxy.shutdown)
        base = f"http://127.0.0.1:{proxy.server_address[1]}"
        import httpx

        def api(token: str) -> httpx.Client:
            return httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)

        # 1. Customers write in: mail into Dovecot, polled by the workers (the schedulers enqueue the polls).
        for n in range(args.mails // 2):
            cluster.imap.append("support", customer_mail(n))

        # 2. Tickets through both web hosts (the proxy alternates).
        creator, served = api(seeded["tokens"]["creator"]), Counter()
        for n in range(args.tickets):
            r = creator.post(
                "/tickets",
                json={"subject": f"API ticket {n}", "body": "Hello", "requester_email": f"api{n}@customers.example"},
            )
            if r.status_code != 201:
                check(False, f"ticket {n} created ({r.status_code} {r.text[:200]})")
            served[r.headers.get("X-Upstream")] += 1
        check(len(served) == 2, f"tickets created through both web hosts: {dict(served)}")

        # 3. A session made on one host holds on the other.
        browser = Browser(base)
        browser.get("/login/")
        r = browser.post("/login/", {"username": "admin", "password": "pw-cluster-123"})
        check(r.status_code == 302, f"signed in through {browser.hosts[-1]} ({r.status_code})")
        pages = [browser.get("/feedback/") for _ in range(4)]
        check(
            all(p.status_code == 200 for p in pages) and len(set(browser.hosts[-4:])) == 2,
            f"the session holds on both web hosts: {[p.status_code for p in pages]} via {set(browser.hosts[-4:])}",
        )

        # 4. The rest of the mail arrives while the first is being polled.
        for n in range(args.mails // 2, args.mails):
            cluster.imap.append("support", customer_mail(n))
        from supportloop.tickets.models import Message, Ticket

        def mail_tickets():
            return Ticket.objects.filter(subject__startswith="Cluster question").count() >= args.mails

        wait_for(mail_tickets, 90, f"{args.mails} mails ingested")
        ids = list(
            Message.objects.filter(external_message_id__contains="cluster-").values_list(
                "external_message_id", flat=True
            )
        )
        dupes = [k for k, v in Counter(ids).items() if v > 1]
        check(not dupes and len(ids) == args.mails, f"{len(ids)} mails ingested, none twice {dupes or ''}")

        # 5. Replies to every mail ticket, alternately through both hosts; they leave through aiosmtpd.
        replier = api(seeded["tokens"]["replier"])
        numbers = list(Ticket.objects.filter(subject__startswith="Cluster question").values_list("number", flat=True))
        reply_hosts = Counter()
        for number in numbers:
            r = replier.post(f"/tickets/{number}/replies", json={"body": f"Answer to #{number}."})
            if r.status_code not in (200, 201):
                check(False, f"reply to #{number}: {r.status_code} {r.text[:200]}")
            reply_hosts[r.headers.get("X-Upstream")] += 1

        def replies_out():
            got = [m for m in cluster.sink.snapshot() if not m["auto"] and "customer" in " ".join(m["to"])]
            return len(got) >= len(numbers) and got

        wait_for(replies_out, 60, f"{len(numbers)} replies at the SMTP server")

        # 6. Close the loop: the item ships (through a web host); its askers are told, once each.
        r = api(seeded["tokens"]["pm"]).post(
            f"/feedback/items/{seeded['item_id']}/status",
            json={"status": "shipped", "release_note": "Excel export is here."},
        )
        check(r.status_code == 200, f"item shipped ({r.status_code} {r.text[:200] if r.status_code != 200 else ''})")

        def told():
            got = [m for m in cluster.sink.snapshot() if set(m["to"]) & set(seeded["asked"])]
            return len(got) >= len(seeded["asked"]) and got

        wait_for(told, 60, "close-the-loop notices")

        # 7. The Monday digest, fired by both schedulers at the same moment: one run, one mail per manager.
        today = datetime.now(UTC).date()
        monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
        at = f"{monday.isoformat()}T09:00Z"
        fires = [
            subprocess.Popen(
                cluster.host_cmd(s, [SUPPORTLOOP, "scheduler", "--once", "--at", at]),
                env=cluster.env(s),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for s in ("sched1", "sched2")
        ]
        fired = [p.communicate(timeout=60)[0] for p in fires]
        digest_claims = sum(out.count("enqueued feedback.weekly_digest") for out in fired)
        check(digest_claims == 1, f"digest enqueued once by two schedulers firing together ({digest_claims})")

        # The running schedulers send the real last week's digest too when the test runs on a Monday to Wednesday
        # after the digest hour (feedback.tasks.DIGEST_WINDOW): a mail of another week, also to be sent once.
        fired_week = f"week of {monday - timedelta(weeks=1):%d %b %Y}"

        def digest_out():
            got = [m for m in cluster.sink.snapshot() if "pm@staff.example" in m["to"] and fired_week in m["subject"]]
            return got

        wait_for(digest_out, 60, "the weekly digest mail")

        # 8. A rate limit counts across hosts: 20/min per account, 24 calls alternately through both hosts.
        limited, statuses = api(seeded["tokens"]["limited"]), Counter()
        for _ in range(24):
            r = limited.get("/tickets", params={"limit": 1})
            statuses[(r.status_code, r.headers.get("X-Upstream"))] += 1
        ok = sum(v for (code, _h), v in statuses.items() if code == 200)
        refused = sum(v for (code, _h), v in statuses.items() if code == 429)
        check(ok == 20 and refused == 4, f"rate limit across hosts: {ok} allowed, {refused} refused (20/4 expected)")

        # 9. Report pages read from the replica, on both hosts, with their staleness on the page.
        before = cluster.psql(
            cluster.replica_port,
            "SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_user_tables WHERE relname LIKE 'feedback_%'",
        )
        sources, shown = Counter(), []
        for path in ["/feedback/", "/team/forecast/"] * 3:
            page = browser.get(path)
            m = re.search(r'data-report-source="([^"]+)" data-staleness="([^"]+)"', page.text)
            sources[(path, m.group(1) if m else "none", browser.hosts[-1])] += 1
            if m:
                shown.append(float(m.group(2)))
        # A backend flushes its statistics to the shared view at most once a second, and an idle one (the web
        # hosts keep their connections) within PostgreSQL's idle interval of 10 s: poll rather than sleep once.
        deadline = time.monotonic() + 15
        while True:
            after = cluster.psql(
                cluster.replica_port,
                "SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_user_tables WHERE relname LIKE 'feedback_%'",
            )
            if int(after or 0) > int(before or 0) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        on_replica = all(src == "replica" for (_p, src, _h) in sources)
        check(
            on_replica and len({h for (_p, _s, h) in sources}) == 2,
            f"report pages from the replica on both hosts: {dict(sources)}",
        )
        check(int(after or 0) > int(before or 0), f"the replica scanned feedback tables ({before} -> {after})")

        # 10. Let the queues drain, then stop and read the processes' logs.
        time.sleep(3)
        monitor.stopped.set()
        for name in ("worker1", "worker2", "sched1", "sched2"):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(cluster.procs[name].pid, signal.SIGTERM)
        for name in ("worker1", "worker2", "sched1", "sched2"):
            with contextlib.suppress(subprocess.TimeoutExpired):
                cluster.procs[name].wait(timeout=15)

        runs = Counter()
        per_worker = {}
        for worker in ("worker1", "worker2"):
            started_ids = re.findall(r"Task id=(\S+) path=(\S+) state=RUNNING", cluster.output(worker))
            per_worker[worker] = Counter(path.rsplit(".", 1)[-1] for _id, path in started_ids)
            runs.update(task_id for task_id, _path in started_ids)
        twice = [task_id for task_id, n in runs.items() if n > 1]
        check(bool(runs) and not twice, f"{len(runs)} tasks ran, none twice {twice or ''}")
        check(all(per_worker.values()), f"both workers ran tasks: {json.dumps(per_worker)}")
        enqueued = []
        for sched in ("sched1", "sched2"):
            enqueued += re.findall(r"enqueued (\S+ \S+)", cluster.output(sched))
        enqueued += [line for out in fired for line in re.findall(r"enqueued (\S+ \S+)", out)]
        repeated = [k for k, n in Counter(enqueued).items() if n > 1]
        check(not repeated, f"{len(enqueued)} scheduled runs enqueued by 2 schedulers, none twice {repeated or ''}")
        polls = {w: c.get("mail_poll_task", 0) for w, c in per_worker.items()}
        summary["mail_polls_per_worker"] = polls

        # Every mail sent once: no Message-ID twice at the server, and one reply per ticket.
        sent = cluster.sink.snapshot()
        mids = Counter(m["message_id"] for m in sent)
        check(not [k for k, n in mids.items() if n > 1], f"{len(sent)} mails at the SMTP server, none twice")
        to_customers = Counter(addr for m in sent if not m["auto"] for addr in m["to"] if addr.startswith("customer"))
        check(
            len(to_customers) == args.mails and set(to_customers.values()) == {1},
            f"one reply to each of {args.mails} customers ({len(to_customers)} reached)",
        )
        notices = Counter(addr for m in sent for addr in m["to"] if addr in seeded["asked"])
        check(set(notices.values()) == {1} and len(notices) == 3, f"close-the-loop notices once each: {dict(notices)}")
        digests = Counter(m["subject"] for m in sent if "pm@staff.example" in m["to"])
        check(
            set(digests.values()) == {1} and any(fired_week in subject for subject in digests),
            f"one weekly digest a week to the product manager, the fired {fired_week} among them ({dict(digests)})",
        )

        summary.update(
            replica_staleness_seconds={
                "samples": len(monitor.samples),
                "max": round(max(monitor.samples, default=0.0), 3),
                "p95": round(percentile(monitor.samples, 0.95), 3),
                "shown_on_pages_max": max(shown, default=None),
            },
            primary_replay_lag_seconds={
                "samples": len(monitor.replay_lag),
                "max": round(max(monitor.replay_lag, default=0.0), 3),
                "p95": round(percentile(monitor.replay_lag, 0.95), 3),
            },
            basebackup_seconds=round(cluster.basebackup_seconds, 1),
            tasks_run=len(runs),
            mails_sent=len(sent),
            seconds=round(time.monotonic() - started, 1),
        )
    except KeyboardInterrupt:
        failures.append("interrupted")
    except Exception as exc:  # noqa: BLE001 - report, then clean up
        import traceback

        traceback.print_exc()
        failures.append(f"{type(exc).__name__}: {exc}")
        for name in cluster.procs:
            print(f"--- {name} (last lines) ---\n{cluster.output(name)[-1500:]}", file=sys.stderr)
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        cluster.close()
    summary["failures"] = failures
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    log("cluster test " + ("FAILED" if failures else "passed") + f" in {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
