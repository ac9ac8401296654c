"""A private Dovecot IMAP server for the mailserver tests and the mail benchmark; test code, not shipped.

start_dovecot() writes a config of its own under a fresh /tmp directory, listens on 127.0.0.1 on a free
high port, accepts any user name with one password (each test gets its own empty account) and stores
mail as the `mail` user when run as root (Dovecot refuses uid 0). Nothing is installed here.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

from supportloop_testing.net import free_port

IMAP_PASSWORD = "secret-imap-pw"

DOVECOT_CONF = """\
protocols = imap
listen = {address}
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{base}/mail/%u
mail_fsync = never
service imap-login {{
  inet_listener imap {{
    address = {address}
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


class DovecotMissing(RuntimeError):
    pass


def _wait_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Dovecot:
    def __init__(self, base: Path, port: int):
        self.base, self.port, self.host = base, port, "127.0.0.1"

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(user, IMAP_PASSWORD)
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client(user)
        try:
            client.append(folder, raw)
        finally:
            client.logout()

    def stop(self) -> None:
        pid_file = self.base / "run" / "master.pid"
        if pid_file.exists():
            try:
                pid = int(pid_file.read_text().strip())
                os.kill(pid, 15)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.05)
            except (ValueError, ProcessLookupError, PermissionError):
                pass

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def start_dovecot(*, label: str = "main", address: str = "127.0.0.1") -> Dovecot:
    """Start a private Dovecot listening on `address` (the cluster test gives its hosts' address); raises
    DovecotMissing (with what to do) when it is not installed."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if binary is None:
        raise DovecotMissing(
            "Dovecot is not installed: run `bash scripts/setup-system.sh` (it installs "
            "dovecot-imapd); the mailserver tests and the mail benchmark need a real IMAP server."
        )
    base = Path(tempfile.mkdtemp(prefix=f"sl-dovecot-{label}-"))
    os.chmod(base, 0o755)
    if os.getuid() == 0:
        user = pwd.getpwnam("mail")
        uid, gid = user.pw_uid, user.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    for sub in ("run", "state", "mail", "home"):
        (base / sub).mkdir()
        if sub in ("mail", "home") and os.getuid() == 0:
            os.chown(base / sub, uid, gid)
    error = ""
    for _attempt in range(3):
        port = free_port()
        (base / "dovecot.conf").write_text(
            DOVECOT_CONF.format(base=base, port=port, password=IMAP_PASSWORD, uid=uid, gid=gid, address=address)
        )
        # The daemon inherits stdout/stderr: a pipe would never reach EOF, so write to a file.
        with open(base / "start.log", "w") as out:
            code = subprocess.run(
                [binary, "-c", str(base / "dovecot.conf")], stdout=out, stderr=subprocess.STDOUT
            ).returncode
        if code == 0 and _wait_port(port, host=address):
            server = Dovecot(base, port)
            server.host = address
            return server
        log = base / "dovecot.log"
        error = (base / "start.log").read_text() + (log.read_text() if log.exists() else "")
        Dovecot(base, port).stop()
    shutil.rmtree(base, ignore_errors=True)
    raise RuntimeError(f"Dovecot did not start: {error[-2000:]}")
