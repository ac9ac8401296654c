"""Agent pages: sign-in, inbox (views, counts, filters, sorting, pages, bulk actions), ticket workspace."""

from __future__ import annotations

import re

import pytest
from django.core import mail  # noqa: F401  (outbox is reset by the root conftest)
from django.test import Client

from supportloop.core.models import Event
from supportloop.tickets.models import Macro, Message
from supportloop.tickets.services import ticket_update
from supportloop.web.models import SavedView

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr data-href="/t/(\d+)/"')


def rows(response) -> list[int]:
    return [int(n) for n in ROW.findall(response.content.decode())]


def test_sign_in_redirects_to_the_inbox_and_sign_out_ends_the_session(ws):
    client = Client()
    response = client.post("/login/", {"username": "agent", "password": "pw-123456-x"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/")["Location"].startswith("/login/")


def test_five_failed_sign_ins_lock_out_even_the_right_password(ws):
    client = Client()
    for _ in range(5):
        response = client.post("/login/", {"username": "agent", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/login/", {"username": "agent", "password": "pw-123456-x"})
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_send_a_strict_content_security_policy(ws, client_for):
    response = client_for(ws.agent).get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize("n", [3, 40])
def test_inbox_queries_do_not_grow_with_the_rows(ws, client_for, django_assert_max_num_queries, n):
    ws.tickets_make(n)
    client = client_for(ws.agent)
    with django_assert_max_num_queries(14):
        response = client.get("/")
    assert len(rows(response)) == n


def test_inbox_counts_per_view_are_exact(ws, client_for):
    made = ws.tickets_make(10)  # urgent: i % 5 == 0 -> 2 tickets
    ticket_update(ticket=made[0], actor=ws.admin, assignee=ws.agent)
    ticket_update(ticket=made[1], actor=ws.admin, status="pending")
    ticket_update(ticket=made[2], actor=ws.admin, status="solved")
    html = client_for(ws.agent).get("/").content.decode()

    def count(key):
        return int(re.search(rf'data-count="{key}">(\d+)<', html).group(1))

    # 10 made, 1 solved -> 9 active; 1 assigned to the agent -> 8 unassigned among the active.
    assert (count("all"), count("mine"), count("unassigned"), count("urgent"), count("pending"), count("solved")) == (
        9,
        1,
        8,
        2,
        1,
        1,
    )


def test_inbox_views_and_filters_pick_the_right_tickets(ws, client_for):
    made = ws.tickets_make(6)
    ticket_update(ticket=made[1], actor=ws.admin, assignee=ws.agent)
    client = client_for(ws.agent)
    assert rows(client.get("/?view=mine")) == [made[1].number]
    urgent = {t.number for t in made if t.priority == "urgent"}
    assert set(rows(client.get("/?view=urgent"))) == urgent == {made[0].number, made[5].number}
    assert set(rows(client.get("/?tag=t1"))) == {made[1].number, made[4].number}
    assert set(rows(client.get(f"/?assignee={ws.agent.pk}"))) == {made[1].number}
    assert rows(client.get("/?status=closed")) == []


def test_inbox_sorts_and_pages_by_cursor(ws, client_for):
    made = ws.tickets_make(55)
    client = client_for(ws.agent)
    first = client.get("/")
    numbers = rows(first)
    assert numbers == [t.number for t in reversed(made)][:50]
    more = re.search(r'hx-get="(\?[^"]+cursor=[^"]+)"', first.content.decode()).group(1).replace("&amp;", "&")
    second = client.get("/" + more, HTTP_HX_REQUEST="true")
    assert rows(second) == [t.number for t in reversed(made)][50:]
    assert "<html" not in second.content.decode()  # htmx gets only the rows
    assert rows(client.get("/?sort=created"))[:3] == [made[0].number, made[1].number, made[2].number]


def test_bulk_actions_assign_set_status_and_tag_each_with_an_audit_event(ws, client_for):
    a, b, c = ws.tickets_make(3)
    client = client_for(ws.agent)
    client.post("/inbox/bulk/", {"t": [a.number, b.number], "action": "assign", "value_assign": ws.agent.pk})
    client.post("/inbox/bulk/", {"t": [b.number, c.number], "action": "status", "value_status": "pending"})
    client.post("/inbox/bulk/", {"t": [a.number], "action": "tag", "value_tag": "VIP"})
    a.refresh_from_db(), b.refresh_from_db(), c.refresh_from_db()
    assert (a.assignee_id, b.assignee_id, c.assignee_id) == (ws.agent.pk, ws.agent.pk, None)
    assert (a.status, b.status, c.status) == ("new", "pending", "pending")
    assert sorted(a.tags.values_list("name", flat=True)) == ["billing", "t0", "vip"]
    assert Event.objects.filter(verb="ticket.updated", actor=ws.agent).count() == 5


def test_a_viewer_cannot_use_bulk_actions(ws, client_for, make_user):
    (a,) = ws.tickets_make(1)
    viewer = make_user("viewer")
    response = client_for(viewer).post("/inbox/bulk/", {"t": [a.number], "action": "status", "value_status": "closed"})
    assert response.status_code == 403
    a.refresh_from_db()
    assert a.status == "new"


def test_saved_views_keep_only_filters_and_belong_to_their_user(ws, client_for):
    client = client_for(ws.agent)
    response = client.post("/inbox/views/", {"name": "Urgent billing", "query": "view=urgent&cursor=abc&tag=billing"})
    view = SavedView.objects.get(user=ws.agent)
    assert view.query == "tag=billing&view=urgent"
    assert response["Location"] == "/?tag=billing&view=urgent"
    assert "Urgent billing" in client.get("/").content.decode()
    assert client_for(ws.admin).post(f"/inbox/views/{view.pk}/delete/").status_code == 404
    client.post(f"/inbox/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_replies_and_notes_are_visually_distinct(ws, client_for):
    from supportloop.tickets.services import ticket_add_note

    (t,) = ws.tickets_make(1)
    ticket_add_note(ticket=t, actor=ws.agent, body="Customer is on the old plan")
    html = client_for(ws.agent).get(f"/t/{t.number}/").content.decode()
    assert re.search(r'<article class="msg note"[^>]*aria-label="Internal note"', html)
    assert re.search(r'<article class="msg customer"[^>]*aria-label="Public reply"', html)


def test_an_attachment_in_the_thread_downloads_with_the_agents_session(ws, client_for):
    from supportloop.tickets.services import attachment_add
    from supportloop.tickets.services.tickets import IncomingFile

    (t,) = ws.tickets_make(1)
    attachment = attachment_add(
        message=t.messages.first(), files=[IncomingFile("log 1.txt", b"line\n")], actor=ws.agent
    )[0]
    client = client_for(ws.agent)
    html = client.get(f"/t/{t.number}/").content.decode()
    href = f"/api/v1/tickets/{t.number}/attachments/{attachment.pk}"
    assert f'href="{href}"' in html
    response = client.get(href)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"line\n"
    assert "attachment" in response["Content-Disposition"]


def test_user_text_is_escaped_and_only_sanitised_html_is_rendered(ws, client_for, make_ticket):
    t = make_ticket(
        "<script>alert(1)</script>",
        body="",
        body_html='<p onclick="x()">hi<script>bad()</script></p>',
        requester=ws.alice,
    )
    client = client_for(ws.agent)
    for url in ("/", f"/t/{t.number}/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "onclick" not in html and "bad()" not in html


def test_macro_search_and_fill_put_the_placeholders_in_the_composer(ws, client_for):
    (t,) = ws.tickets_make(1)
    client = client_for(ws.agent)
    found = client.get(f"/t/{t.number}/macros/?q=refu").content.decode()
    assert "Refund issued" in found and f"/t/{t.number}/macros/{ws.macro.pk}/" in found
    assert "Refund issued" not in client.get(f"/t/{t.number}/macros/?q=zzz").content.decode()
    filled = client.get(f"/t/{t.number}/macros/{ws.macro.pk}/").content.decode()
    assert f"Hi Alice, your refund for #{t.number} is on its way. Alex Agent" in filled
    assert f'name="macro" value="{ws.macro.pk}"' in filled


def test_replying_with_a_macro_posts_the_edited_text_and_runs_its_actions(ws, client_for):
    (t,) = ws.tickets_make(1)
    response = client_for(ws.agent).post(
        f"/t/{t.number}/compose/",
        {"kind": "reply", "macro": ws.macro.pk, "body": "Hi Alice, refund sent (edited).", "after_status": "pending"},
    )
    assert response.status_code == 302
    message = Message.objects.filter(ticket=t).latest("id")
    assert (message.kind, message.body_text, message.author_user) == (
        "reply",
        "Hi Alice, refund sent (edited).",
        ws.agent,
    )
    t.refresh_from_db()
    assert t.status == "pending" and "refund" in set(t.tags.values_list("name", flat=True))
    assert Macro.objects.get(pk=ws.macro.pk).usage_count == 1


def test_an_empty_reply_shows_the_error_beside_the_field(ws, client_for):
    (t,) = ws.tickets_make(1)
    response = client_for(ws.agent).post(f"/t/{t.number}/compose/", {"kind": "reply", "body": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'id="id_body_error"', html) and "field-error" in html
    assert Message.objects.filter(ticket=t).count() == 1


def test_a_note_is_internal(ws, client_for):
    (t,) = ws.tickets_make(1)
    client_for(ws.agent).post(f"/t/{t.number}/compose/", {"kind": "note", "body": "check the VAT id"})
    note = Message.objects.filter(ticket=t).latest("id")
    assert note.kind == "note" and note.body_text == "check the VAT id"


def test_controls_change_status_priority_assignee_feature_and_tags(ws, client_for):
    (t,) = ws.tickets_make(1)
    response = client_for(ws.agent).post(
        f"/t/{t.number}/controls/",
        {
            "status": "open",
            "priority": "high",
            "assignee": ws.agent.pk,
            "team": ws.team.pk,
            "product_feature": ws.feature.pk,
            "contact_reason": ws.reason.pk,
            "tags": "billing, Refund",
        },
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert (t.status, t.priority, t.assignee_id, t.product_area_id) == ("open", "high", ws.agent.pk, ws.area.pk)
    assert sorted(t.tags.values_list("name", flat=True)) == ["billing", "refund"]


def test_workspace_shows_the_customer_panel_and_the_audit_timeline(ws, client_for):
    from supportloop.customers.services import customer_note_add

    first, second, third = ws.tickets_make(3)
    customer_note_add(body="Prefers email over phone", author=ws.agent, contact=ws.alice)
    html = client_for(ws.agent).get(f"/t/{first.number}/").content.decode()
    assert "Alice Able" in html and "alice@acme.example" in html and "Acme" in html and "500.00" in html
    assert "Pro" in html and "Prefers email over phone" in html
    assert f"#{third.number}" in html  # Alice's other ticket (first and third are hers)
    assert f"/t/{second.number}/" not in html  # Bob's ticket is not in Alice's panel
    assert "The customer opened the ticket (" in html  # the timeline in words, not "ticket.created"


def test_the_sidebar_counts_follow_a_bulk_change_at_once(ws, client_for):
    made = ws.tickets_make(4)
    client = client_for(ws.agent)
    html = client.get("/").content.decode()
    assert re.search(r'data-count="pending">0<', html)
    client.post("/inbox/bulk/", {"t": [made[0].number, made[1].number], "action": "status", "value_status": "pending"})
    html = client.get("/").content.decode()
    assert re.search(r'data-count="pending">2<', html) and re.search(r'data-count="all">4<', html)


def test_a_product_manager_can_write_notes_but_not_replies(ws, client_for):
    (t,) = ws.tickets_make(1)
    client = client_for(ws.pm)
    html = client.get(f"/t/{t.number}/").content.decode()
    assert 'value="note"' in html and 'value="reply"' not in html
    assert client.post(f"/t/{t.number}/compose/", {"kind": "reply", "body": "hi"}).status_code == 403
    client.post(f"/t/{t.number}/compose/", {"kind": "note", "body": "asked engineering"})
    assert Message.objects.filter(ticket=t).latest("id").kind == "note"


def test_the_header_jumps_to_a_ticket_by_number(ws, client_for):
    (t,) = ws.tickets_make(1)
    client = client_for(ws.agent)
    assert client.get("/t/", {"number": f"#{t.number}"})["Location"] == f"/t/{t.number}/"
    assert client.get("/t/", {"number": "abc"})["Location"] == "/"
    assert client.get("/t/999999/").status_code == 404


LOCKED = "Too many failed sign-in attempts"


def _sign_in(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra).content.decode()


def test_a_lockout_reads_the_same_for_an_unknown_name_and_is_recorded_for_admins(ws):
    from supportloop.accounts.models import SignInFailure

    client = Client()
    for name in ("agent", "nobody"):
        answers = [_sign_in(client, name, "wrong") for _ in range(5)]
        assert not any(LOCKED in a for a in answers)
    known, unknown = _sign_in(client, "agent", "pw-123456-x"), _sign_in(client, "nobody", "whatever")
    assert LOCKED in known and LOCKED in unknown

    def page(html, name):  # the same page, the name typed and the masked CSRF tokens aside
        return re.sub(r"[A-Za-z0-9]{64}", "", html.replace(name, ""))

    assert page(known, "agent") == page(unknown, "nobody")
    rows = list(SignInFailure.objects.order_by("id").values_list("username", "outcome", "user_id", "address"))
    assert rows == [("agent", "failed", ws.agent.pk, "127.0.0.1")] * 5 + [
        ("nobody", "failed", None, "127.0.0.1")
    ] * 5 + [("agent", "locked_out", ws.agent.pk, "127.0.0.1"), ("nobody", "locked_out", None, "127.0.0.1")]


def test_failures_from_one_address_across_many_names_lock_that_address_only(ws, settings):
    settings.SUPPORTLOOP_SIGN_IN_ADDRESS_LIMIT = 3
    client = Client()
    for n in range(3):
        assert LOCKED not in _sign_in(client, f"guess{n}", "wrong")
    assert LOCKED in _sign_in(client, "agent", "pw-123456-x")  # a fourth name from the same address
    assert "_auth_user_id" not in client.session
    other = Client(REMOTE_ADDR="198.51.100.7")
    _sign_in(other, "agent", "pw-123456-x")
    assert "_auth_user_id" in other.session


def test_behind_a_trusted_proxy_one_clients_failures_do_not_lock_out_the_others(ws, settings):
    settings.SUPPORTLOOP_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SUPPORTLOOP_SIGN_IN_ADDRESS_LIMIT = 3
    attacker, colleague = Client(HTTP_X_FORWARDED_FOR="203.0.113.1"), Client(HTTP_X_FORWARDED_FOR="203.0.113.2")
    for n in range(4):
        _sign_in(attacker, f"guess{n}", "wrong")
    assert LOCKED in _sign_in(attacker, "agent", "pw-123456-x")
    _sign_in(colleague, "agent", "pw-123456-x")
    assert "_auth_user_id" in colleague.session


def test_a_successful_sign_in_forgives_the_accounts_earlier_failures(ws):
    client = Client()
    for _ in range(4):
        _sign_in(client, "agent", "wrong")
    _sign_in(client, "agent", "pw-123456-x")
    client.post("/logout/")
    for _ in range(4):
        assert LOCKED not in _sign_in(client, "agent", "wrong")


def test_the_admin_login_counts_against_the_same_limit(ws):
    client = Client()
    for _ in range(5):
        client.post("/admin/login/", {"username": "admin", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "admin", "password": "pw-123456-x"})
    assert LOCKED in response.content.decode() and "_auth_user_id" not in client.session
