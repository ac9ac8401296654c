"""Take the documentation's screenshots (docs/screenshots/*.png) from the seeded demo workspace.

    .venv/bin/python scripts/screenshots.py            # or: make screenshots

Seeds the demo (`supportloop demo`: 1,500 tickets, seed 42) into a fresh SQLite database in a temporary directory,
serves it on a free local port, and drives Debian's Chromium with Playwright:

    inbox.png, ticket-workspace.png, feedback-ranking.png   1280 px, as Sam Carter (agent)
    ticket-workspace-zh.png                                1280 px, as Mei Chen (profile and browser in zh-Hans)
    inbox-phone.png, ticket-phone.png                      390 x 844, as Sam Carter
    reports-satisfaction.png                               1280 px, as the lead (Reports, Satisfaction tab)

`--var-dir DIR` keeps the database in DIR (seeded once, reused by later runs). Look at every image afterwards:
a layout can pass the browser tests' width checks and still look wrong. Chinese text needs a CJK font on the
machine (fonts-wqy-microhei or fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUPPORTLOOP = Path(sys.executable).with_name("supportloop")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PASSWORD = "supportloop-demo"  # noqa: S105 - the demo's published password (demo/management/commands/demo.py)
DESKTOP = {"width": 1280, "height": 860}
DESKTOP_ZH = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 600) -> None:
    """The first run migrates and seeds before it serves: poll the sign-in page until it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the demo server stopped (exit {server.returncode}); see its output above")
        try:
            with urllib.request.urlopen(url + "/login/", timeout=5) as response:  # noqa: S310 - our local server
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"the demo server did not answer at {url} within {timeout:.0f} s")


def showcase_ticket() -> int:
    """A ticket that shows the workspace well: active, Sam's, with an internal note, a customer who asked for
    feedback and has other tickets; a handful of messages so the thread fills the screen without scrolling off."""
    import django

    django.setup()
    from django.db.models import Count, Q

    from supportloop.feedback.models import Evidence
    from supportloop.tickets.choices import ACTIVE_STATUSES
    from supportloop.tickets.models import Ticket

    asking = Evidence.objects.values("contact_id")
    showcases = (
        Ticket.objects.filter(status__in=ACTIVE_STATUSES, requester_id__in=asking)
        .annotate(notes=Count("messages", filter=Q(messages__kind="note")))
        .filter(notes__gte=1, message_count__range=(3, 6))
        .order_by("-updated_at", "-id")
    )
    ticket = (
        showcases.filter(assignee__username="agent").first()
        or showcases.first()
        or Ticket.objects.filter(status__in=ACTIVE_STATUSES).order_by("-updated_at", "-id").first()
    )
    if ticket is None:
        raise SystemExit("the demo workspace has no active ticket")
    return ticket.number


def sign_in(browser, base: str, username: str, viewport: dict, locale: str = "en-US"):
    context = browser.new_context(viewport=viewport, locale=locale, base_url=base)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(base + "/")
    return context, page


def shoot(page, path: str, out: Path, name: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.mouse.move(0, 0)  # no hover state in the picture
    page.screenshot(path=str(out / name))
    print(f"  {out / name}")


def take(base: str, out: Path, ticket: int) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context, page = sign_in(browser, base, "agent", DESKTOP)
            shoot(page, "/", out, "inbox.png")
            shoot(page, f"/t/{ticket}/", out, "ticket-workspace.png")
            shoot(page, "/feedback/", out, "feedback-ranking.png")
            context.close()

            context, page = sign_in(browser, base, "lead", DESKTOP)
            shoot(page, "/reports/satisfaction/?days=30&window=rated", out, "reports-satisfaction.png")
            context.close()

            context, page = sign_in(browser, base, "agent", PHONE)
            shoot(page, "/", out, "inbox-phone.png")
            shoot(page, f"/t/{ticket}/", out, "ticket-phone.png")
            context.close()

            context, page = sign_in(browser, base, "mei", DESKTOP_ZH, locale="zh-CN")
            shoot(page, f"/t/{ticket}/", out, "ticket-workspace-zh.png")
            lang = page.evaluate("document.documentElement.lang")
            if not lang.startswith("zh"):
                print(f"  warning: the Chinese screenshot is in {lang!r}: is gettext installed (make system-deps)?")
            context.close()
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--var-dir", type=Path, help="keep the demo database here (default: a temporary directory)")
    args = parser.parse_args()

    temporary = None
    if args.var_dir is None:
        temporary = tempfile.TemporaryDirectory(prefix="supportloop-screenshots-")
        var_dir = Path(temporary.name)
    else:
        var_dir = args.var_dir.resolve()
        var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        SUPPORTLOOP_DEBUG="1",
        SUPPORTLOOP_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'supportloop.sqlite3'}",
        DJANGO_SETTINGS_MODULE="supportloop.settings",
    )
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout  # noqa: S607
    if not fonts.strip():
        print("warning: no Chinese font (apt-get install fonts-wqy-microhei): ticket-workspace-zh.png shows boxes")
    os.environ.pop("REDIS_URL", None)  # the server's cache and this process's must not be a shared stale one
    subprocess.run(  # noqa: S603 - our own command
        [str(SUPPORTLOOP), "compilemessages", "--ignore=.venv/*", "-v", "0"], cwd=ROOT, check=False
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Its own process group, so stopping it stops the runserver and its worker threads, and nothing else.
    server = subprocess.Popen(  # noqa: S603 - our own command
        [str(SUPPORTLOOP), "demo", "--bind", f"127.0.0.1:{port}"], cwd=ROOT, start_new_session=True
    )
    try:
        wait_until_up(base, server)
        ticket = showcase_ticket()
        print(f"Screenshots of ticket #{ticket} and the rest, from {base}:")
        take(base, args.out, ticket)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        if temporary is not None:
            temporary.cleanup()


if __name__ == "__main__":
    main()
