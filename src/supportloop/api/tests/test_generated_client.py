"""Names that clients see: a client generated from the OpenAPI document by a standard generator
(openapi-python-client) has short functions named after the operation ids and works against a running server."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from supportloop.accounts.choices import Role
from supportloop.accounts.services import api_token_create
from supportloop.api.urls import api
from supportloop.tickets.services import attachment_add, ticket_create
from supportloop.tickets.services.tickets import IncomingFile

PACKAGE = "supportloop_client"


def _generator() -> str:
    found = Path(sys.executable).with_name("openapi-python-client")
    if found.exists():
        return str(found)
    found = shutil.which("openapi-python-client")
    if found is None:
        pytest.fail("openapi-python-client is not installed (pip install -e '.[dev]')")
    return found


@pytest.fixture
def client_package(tmp_path, monkeypatch):
    """Generate the client into tmp_path and import it from there (nothing is pip-installed)."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
    config = tmp_path / "config.json"
    # The generator's post hooks would run ruff over the output; the quarantine download's message/rfc822 is
    # a binary body like any other to a client.
    config.write_text(
        json.dumps({"post_hooks": [], "content_type_overrides": {"message/rfc822": "application/octet-stream"}})
    )
    command = [_generator(), "generate", "--path", str(spec), "--output-path", str(tmp_path / PACKAGE)]
    result = subprocess.run(
        [*command, "--meta", "none", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def test_generated_client_has_short_names_and_calls_three_endpoints(
    client_package, live_server, transactional_db, make_user
):
    tickets_api = importlib.import_module(f"{PACKAGE}.api.tickets")
    models = importlib.import_module(f"{PACKAGE}.models")
    generated = {p.stem for p in Path(tickets_api.__file__).parent.glob("*.py")} - {"__init__"}
    assert {"tickets_list", "ticket_get", "ticket_create", "ticket_reply", "attachment_download"} <= generated
    attachment_download, create_op, ticket_get, tickets_list = (
        importlib.import_module(f"{PACKAGE}.api.tickets.{name}")
        for name in ("attachment_download", "ticket_create", "ticket_get", "tickets_list")
    )

    agent = make_user(Role.AGENT)
    _token, secret = api_token_create(user=agent, name="generated client")
    client = client_package.AuthenticatedClient(base_url=live_server.url, token=secret, raise_on_unexpected_status=True)

    created = create_op.sync(
        client=client,
        body=models.TicketCreateIn(
            subject="Export fails", body="The CSV export stops at 1000 rows.", requester_email="ann@acme.example"
        ),
    )
    assert isinstance(created, models.TicketDetailOut), created
    assert created.subject == "Export fails" and created.messages[0].body_text == "The CSV export stops at 1000 rows."

    page = tickets_list.sync(client=client, limit=10)
    assert isinstance(page, models.TicketPageOut)
    assert [t.number for t in page.items] == [created.number]

    detail = ticket_get.sync(number=created.number, client=client)
    assert detail.number == created.number and detail.requester_name

    ticket = ticket_create(subject="With a file", body="see attached", requester_email="bob@acme.example", actor=agent)
    [saved] = attachment_add(
        message=ticket.messages.get(),
        files=[IncomingFile(filename="report.bin", content=b"\x00\x01binary\xff", content_type="application/pdf")],
        actor=agent,
    )
    downloaded = attachment_download.sync(number=ticket.number, attachment_id=saved.pk, client=client)
    assert isinstance(downloaded, client_package.types.File)
    assert downloaded.payload.read() == b"\x00\x01binary\xff"

    missing = ticket_get.sync_detailed(number=999999, client=client)
    assert missing.status_code == 404 and missing.parsed.status == 404  # problems parse into the Problem model
