"""Attachment names without letters or digits, in any script, of any length (issue 10, item 7): the upload
is accepted, the file is stored under a generated name, and the download gives the original name back."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import quote

import pytest
from conftest import assert_problem
from django.core.files.uploadedfile import UploadedFile
from django.test import Client
from django.utils.http import parse_header_parameters
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from supportloop.accounts.choices import Role
from supportloop.api.uploads import KeepEveryFileParser
from supportloop.tickets.filenames import content_disposition, display_name
from supportloop.tickets.models import Attachment

BOUNDARY = "----supportloopBoundary7MA4YWxkTrZu0gW"


def part_header(name: str, *, rfc2231: bool = False) -> bytes:
    """A file part's header as a browser writes it (WHATWG: UTF-8, with " CR LF percent-escaped), or as some
    HTTP libraries do for non-ASCII names (RFC 2231 filename*)."""
    if rfc2231:
        disposition = f"form-data; name=\"files\"; filename*=UTF-8''{quote(name, safe='')}"
    else:
        escaped = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        disposition = f'form-data; name="files"; filename="{escaped}"'
    return f"Content-Disposition: {disposition}\r\nContent-Type: application/octet-stream".encode()


def browser_multipart(name: str, data: bytes, *, rfc2231: bool = False) -> bytes:
    return (
        f"--{BOUNDARY}\r\n".encode()
        + part_header(name, rfc2231=rfc2231)
        + b"\r\n\r\n"
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


# Django reads a part's header only within its first 1,024 bytes (multipartparser.MAX_TOTAL_HEADER_SIZE).
DJANGO_PART_HEADER_MAX = 1024


def upload(client, number: int, name: str, data: bytes, *, rfc2231: bool = False):
    return Client().generic(
        "POST",
        f"/api/v1/tickets/{number}/attachments",
        browser_multipart(name, data, rfc2231=rfc2231),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        HTTP_AUTHORIZATION=client.headers["HTTP_AUTHORIZATION"],
    )


def header_filename(header: str) -> str:
    """The file name an HTTP client reads from a Content-Disposition value: Django's header parser, which
    decodes RFC 8187 `filename*`; RFC 6266 says clients prefer it, and old ones that do not take the first
    `filename`, so the ASCII fallback comes first."""
    kind, params = parse_header_parameters(header)
    assert kind == "attachment" and header.index("filename=") < header.index("filename*=")
    return params["filename"]


@pytest.fixture
def agent_client(api_client, make_user, make_ticket):
    client = api_client(user=make_user(Role.AGENT))
    client.ticket = make_ticket(actor=client.user)
    return client


@pytest.fixture
def no_api_rate(settings):
    """Many examples (and shrinking) in one test: this is not a rate-limit test."""
    settings.SUPPORTLOOP_API_RATE = ""


LONG_CHINESE = "季度报告" * 63 + "季度.pdf"  # 258 characters (765 bytes in UTF-8, the most a file system allows)


@pytest.mark.parametrize(
    "sent,shown",
    [
        (",F", ",F"),
        ("😍", "😍"),
        ("!!!", "!!!"),
        ("%", "%"),
        ("'", "'"),
        ("%00", "%00"),
        (".", "attachment"),
        ("..", "attachment"),  # Django refuses these as names: kept, as "attachment"
        ('a"b.txt', "a%22b.txt"),  # the browser escapes the quote; that is the name it sent
        ("отчёт 报告 🎉.xlsx", "отчёт 报告 🎉.xlsx"),
        (LONG_CHINESE, LONG_CHINESE[:251] + ".pdf"),  # shortened to the 255 characters the column holds
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override to disguise the extension
    ],
)
def test_any_name_is_accepted_stored_safely_and_downloaded_with_its_name(agent_client, sent, shown):
    data = b"\x00payload \xff" + sent.encode()
    r = upload(agent_client, agent_client.ticket.number, sent, data)
    assert r.status_code == 201, r.content
    [saved] = r.json()
    assert saved["filename"] == shown
    attachment = Attachment.objects.get(pk=saved["id"])
    stored = PurePosixPath(attachment.file.name)
    assert stored.name.isascii() and stored.stem.isalnum() and len(stored.stem) == 32  # generated
    assert bytes(attachment.file.open("rb").read()) == data

    response = agent_client.get(f"tickets/{agent_client.ticket.number}/attachments/{saved['id']}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert disposition.isascii()
    assert header_filename(disposition) == shown


def test_rfc2231_names_from_http_libraries_are_accepted(agent_client):
    r = upload(agent_client, agent_client.ticket.number, "Grüße 😍.txt", b"x", rfc2231=True)
    assert r.status_code == 201, r.content
    assert r.json()[0]["filename"] == "Grüße 😍.txt"


def test_the_ticket_page_shows_the_name_escaped(agent_client):
    r = upload(agent_client, agent_client.ticket.number, "<img src=x onerror=alert(1)>.png", b"x")
    assert r.status_code == 201
    page = Client()
    page.force_login(agent_client.user)
    html = page.get(f"/t/{agent_client.ticket.number}/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in html and "<img src=x" not in html


def handed_over(sent: str) -> str:
    """The name Django gives the view for a sent one: the parser's clean-up (printable characters of the last
    path segment, HTML entities unescaped; ours keeps "." and ".." as "attachment"), then UploadedFile's
    shortening to 255 characters."""
    return UploadedFile(name=KeepEveryFileParser.sanitize_file_name(object.__new__(KeepEveryFileParser), sent)).name


# Any text a browser (or an HTTP library, RFC 2231) can send: file systems allow at most 255 bytes or 255 UTF-16
# units, so at most 765 bytes of UTF-8. Django refuses a part header over 1,024 bytes (an RFC 2231 name of 765
# bytes is 2,295 characters): that is a clear 400, never a 500 or a lost file.
names = st.text(min_size=1, max_size=255).filter(lambda s: len(s.encode()) <= 765)


@pytest.mark.django_db
@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, rfc2231=st.booleans())
def test_any_filename_text_is_accepted_and_round_trips(agent_client, no_api_rate, name, rfc2231):
    sent = name if rfc2231 else name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    before = Attachment.objects.count()
    r = upload(agent_client, agent_client.ticket.number, name, b"data", rfc2231=rfc2231)
    if len(part_header(name, rfc2231=rfc2231)) + 4 > DJANGO_PART_HEADER_MAX:
        assert_problem(r, 400)
        assert Attachment.objects.count() == before
        return
    assert r.status_code == 201, (name, r.content)
    [saved] = r.json()
    assert saved["filename"] == display_name(handed_over(sent))
    assert Attachment.objects.count() == before + 1
    response = agent_client.get(f"tickets/{agent_client.ticket.number}/attachments/{saved['id']}")
    assert header_filename(response["Content-Disposition"]) == saved["filename"]


def test_a_part_header_over_djangos_limit_is_a_clear_400_not_a_500(agent_client):
    r = upload(agent_client, agent_client.ticket.number, "報" * 400 + ".txt", b"x")  # 1,200 bytes of name
    body = assert_problem(r, 400)
    assert "multipart" in body["detail"].lower()
    assert not Attachment.objects.exists()


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_content_disposition_round_trips_any_shown_name(name):
    shown = display_name(name)
    header = content_disposition(shown)
    assert header.isascii() and "\r" not in header and "\n" not in header
    assert header_filename(header) == shown
