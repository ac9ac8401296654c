"""Fixtures for the mail tests: a mailbox row, a real Dovecot IMAP server and a real aiosmtpd SMTP server.

The servers are session-scoped and private to each pytest process (xdist workers each get their own
directory under /tmp and their own free ports), so concurrent runs never collide.
Nothing is installed here: Dovecot comes from scripts/setup-system.sh (`make test` runs it).
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from imapclient import IMAPClient

from supportloop.mail.choices import ImapSecurity
from supportloop.mail.services import mailbox_create

IMAP_PASSWORD = "secret-imap-pw"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{base}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home/%u
}}
"""


class Dovecot:
    def __init__(self, base: Path, port: int):
        self.base, self.port, self.host = base, port, "127.0.0.1"

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, IMAP_PASSWORD)
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client(user)
        try:
            client.append(folder, raw)
        finally:
            client.logout()


@pytest.fixture(scope="session")
def dovecot():
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if binary is None:
        pytest.fail("Dovecot is not installed: run `bash scripts/setup-system.sh` (it installs dovecot-imapd); "
                    "the mailserver tests need a real IMAP server.", pytrace=False)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = Path(tempfile.mkdtemp(prefix=f"sl-dovecot-{worker}-"))
    os.chmod(base, 0o755)
    if os.getuid() == 0:
        # Dovecot refuses uid 0 for mail processes: mail is delivered as the `mail` user.
        user = pwd.getpwnam("mail")
        uid, gid = user.pw_uid, user.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    for sub in ("run", "state", "mail", "home"):
        (base / sub).mkdir()
    for sub in ("mail", "home"):
        os.chown(base / sub, uid, gid) if os.getuid() == 0 else None
    proc_error = ""
    for _attempt in range(3):
        port = free_port()
        conf = base / "dovecot.conf"
        conf.write_text(DOVECOT_CONF.format(base=base, port=port, password=IMAP_PASSWORD, uid=uid, gid=gid))
        # The daemon inherits stdout/stderr: a pipe would never reach EOF, so write to a file.
        with open(base / "start.log", "w") as out:
            code = subprocess.run([binary, "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT).returncode
        if code == 0 and _wait_port(port):
            break
        proc_error = (base / "start.log").read_text() + ((base / "dovecot.log").read_text() if (base / "dovecot.log").exists() else "")
        _stop(base)
    else:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"Dovecot did not start: {proc_error[-2000:]}", pytrace=False)
    server = Dovecot(base, port)
    yield server
    _stop(base)
    shutil.rmtree(base, ignore_errors=True)


def _stop(base: Path) -> None:
    pid_file = base / "run" / "master.pid"
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, 15)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.05)
        except (ValueError, ProcessLookupError, PermissionError):
            pass


class CapturingHandler:
    def __init__(self):
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": bytes(envelope.original_content or envelope.content)})
        return "250 OK"


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = CapturingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """The real SMTP server, emptied, with Django's SMTP backend pointed at it."""
    controller, handler = smtp_server
    handler.messages.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return handler


@pytest.fixture
def mailbox(db):
    return mailbox_create(address="support@example.test", name="Example Support",
                          help_center_url="https://help.example.test/", expected_response_time="one business day")


@pytest.fixture
def imap_mailbox(db, dovecot):
    """A mailbox row pointing at a fresh IMAP account of the test Dovecot (any user name logs in)."""
    user = f"u{uuid.uuid4().hex[:12]}"
    box = mailbox_create(address="support@example.test", name="Example Support", imap_host=dovecot.host,
                         imap_port=dovecot.port, imap_security=ImapSecurity.NONE, imap_username=user,
                         password=IMAP_PASSWORD, help_center_url="https://help.example.test/")
    box.imap_user = user
    return box
