from conftest import assert_problem
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from supportloop.accounts.choices import Role
from supportloop.core.models import Event
from supportloop.tickets.models import Attachment
from supportloop.tickets.services import ticket_reply


def upload(client, number, *files, **form):
    return Client().post(
        f"/api/v1/tickets/{number}/attachments",
        {"files": list(files), **form},
        HTTP_AUTHORIZATION=client.headers["HTTP_AUTHORIZATION"],
    )


def test_upload_then_download_returns_the_same_bytes(api_client, make_user, make_ticket):
    agent = make_user(Role.AGENT)
    client = api_client(user=agent)
    ticket = make_ticket(actor=agent)
    reply = ticket_reply(ticket=ticket, actor=agent, body="see attached")
    data = "отчёт 报告 🎉".encode() + bytes(range(256))
    r = upload(
        client,
        ticket.number,
        SimpleUploadedFile("отчёт.bin", data, content_type="application/x-test"),
        SimpleUploadedFile("b.txt", b"second", content_type="text/plain"),
    )
    assert r.status_code == 201, r.content
    first, second = r.json()
    assert (first["filename"], first["size"], second["size"]) == ("отчёт.bin", len(data), 6)
    assert Attachment.objects.get(pk=first["id"]).message == reply  # the latest message by default
    assert Event.objects.filter(verb="attachment.added", target_id=str(ticket.pk)).count() == 1

    r = client.get(f"tickets/{ticket.number}/attachments/{first['id']}")
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == data
    assert r["Content-Type"] == "application/x-test" and "attachment;" in r["Content-Disposition"]
    detail = client.get(f"tickets/{ticket.number}").json()
    assert [a["filename"] for a in detail["messages"][1]["attachments"]] == ["отчёт.bin", "b.txt"]


def test_a_file_over_the_limit_is_413_and_nothing_is_stored(api_client, make_user, settings, make_ticket):
    settings.SUPPORTLOOP_MAX_ATTACHMENT_BYTES = 1000
    agent = make_user(Role.AGENT)
    client = api_client(user=agent)
    ticket = make_ticket(actor=agent)
    r = upload(
        client, ticket.number, SimpleUploadedFile("ok.txt", b"x" * 10), SimpleUploadedFile("big.bin", b"x" * 1001)
    )
    body = assert_problem(r, 413, field="attachments")
    assert "1000" in body["detail"]
    assert Attachment.objects.count() == 0 and not Event.objects.filter(verb="attachment.added").exists()
    assert upload(client, ticket.number, SimpleUploadedFile("ok.bin", b"x" * 1000)).status_code == 201


def test_uploads_may_exceed_the_json_body_limit_up_to_the_attachment_limit(
    api_client, make_user, settings, make_ticket
):
    settings.SUPPORTLOOP_MAX_REQUEST_BYTES = 2000
    settings.SUPPORTLOOP_MAX_ATTACHMENT_BYTES = 5000
    agent = make_user(Role.AGENT)
    client = api_client(user=agent)
    ticket = make_ticket(actor=agent)
    assert upload(client, ticket.number, SimpleUploadedFile("a.bin", b"x" * 4000)).status_code == 201
    assert_problem(upload(client, ticket.number, SimpleUploadedFile("a.bin", b"x" * 8000)), 413)


def test_attachments_are_scoped_to_their_ticket(api_client, make_user, make_ticket):
    agent = make_user(Role.AGENT)
    client = api_client(user=agent)
    one = make_ticket(requester_email="a@b.example", actor=agent)
    two = make_ticket(requester_email="a@b.example", actor=agent)
    r = upload(client, one.number, SimpleUploadedFile("a.txt", b"a"))
    attachment_id = r.json()[0]["id"]
    assert_problem(client.get(f"tickets/{two.number}/attachments/{attachment_id}"), 404)
    other_message = two.messages.get().pk
    # message_id is a reference in the body: another ticket's message is a 422 naming it, like one that never existed
    r = upload(client, one.number, SimpleUploadedFile("a.txt", b"a"), message_id=other_message)
    assert_problem(r, 422, field="message_id")
    assert_problem(upload(client, one.number), 422)  # no file at all
