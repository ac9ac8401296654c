"""Product pages and the agent's feedback actions: link from a ticket, file a bug, ranking, item, merge, ship."""

from __future__ import annotations

import re

import pytest

from supportloop.feedback.models import BugReport, ClosingNotice, Evidence, FeedbackItem
from supportloop.feedback.services import evidence_add, feedback_item_create
from supportloop.web.views.product import sparkline_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(ws):
    return feedback_item_create(
        kind="feature_request", title="Export invoices as PDF", actor=ws.pm, product_feature=ws.feature
    )


def test_feedback_search_offers_items_as_choices_for_linking(ws, client_for, item):
    html = client_for(ws.agent).get("/feedback/search/", {"q": "invoices"}).content.decode()
    assert f'name="item" value="{item.pk}"' in html and "Export invoices as PDF" in html
    html = (
        client_for(ws.agent)
        .get("/feedback/search/", {"q": "invoices", "field": "target", "exclude": item.pk})
        .content.decode()
    )
    assert f'value="{item.pk}"' not in html


def test_linking_a_ticket_quotes_the_selected_text_and_counts_the_customer(ws, client_for, item):
    (t,) = ws.tickets_make(1)
    message = t.messages.get()
    response = client_for(ws.agent).post(
        f"/t/{t.number}/link/",
        {
            "item": item.pk,
            "quote": "download my invoice as PDF",
            "message": message.pk,
            "importance": "blocker",
            "new_kind": "feature_request",
        },
    )
    assert response.status_code == 302
    ev = Evidence.objects.get(item=item)
    assert (ev.ticket_id, ev.message_id, ev.quote, ev.contact_id, ev.company_id, ev.importance) == (
        t.pk,
        message.pk,
        "download my invoice as PDF",
        ws.alice.pk,
        ws.acme.pk,
        "blocker",
    )
    item.stats.refresh_from_db()
    assert item.stats.unique_contacts == 1
    html = client_for(ws.agent).get(f"/t/{t.number}/").content.decode()
    assert re.search(r'id="ticket-feedback">.*Export invoices as PDF', html, re.S)


def test_linking_can_create_the_item_in_place(ws, client_for):
    (t,) = ws.tickets_make(1)
    client_for(ws.agent).post(
        f"/t/{t.number}/link/",
        {
            "new_title": "Bulk PDF export",
            "new_kind": "feature_request",
            "quote": "all invoices at once",
            "importance": "important",
        },
    )
    created = FeedbackItem.objects.get(title="Bulk PDF export")
    assert (created.kind, created.problem, created.product_feature_id) == (
        "feature_request",
        "all invoices at once",
        ws.feature.pk,
    )
    assert created.evidence.get().ticket_id == t.pk


def test_linking_without_an_item_or_a_title_shows_the_error_in_place(ws, client_for):
    (t,) = ws.tickets_make(1)
    response = client_for(ws.agent).post(
        f"/t/{t.number}/link/", {"quote": "x", "importance": "important", "new_kind": "bug"}
    )
    assert response.status_code == 422
    assert "Pick an existing item or give a title for a new one." in response.content.decode()
    assert not Evidence.objects.exists()


def test_the_bug_form_is_pre_filled_from_the_ticket_and_files_a_bug_with_evidence(ws, client_for):
    (t,) = ws.tickets_make(1)
    client = client_for(ws.agent)
    html = client.get(f"/t/{t.number}/bug/", {"quote": "PDF button does nothing"}).content.decode()
    assert f'value="{t.subject}"' in html
    assert re.search(rf'<option value="{ws.feature.pk}" selected>', html)
    assert '<option value="pro" selected>' in html  # Acme's plan
    assert "I cannot download my invoice as PDF." in html and "PDF button does nothing" in html
    response = client.post(
        f"/t/{t.number}/bug/",
        {
            "title": "PDF download broken",
            "product_feature": ws.feature.pk,
            "version": "2.6",
            "environment_browser": "Firefox",
            "environment_os": "Linux",
            "environment_device": "Laptop",
            "environment_plan": "pro",
            "severity": "major",
            "frequency": "always",
            "steps": "Click PDF",
            "expected": "A PDF",
            "actual": "Nothing",
        },
    )
    assert response.status_code == 302
    bug = BugReport.objects.get()
    assert (bug.item.kind, bug.ticket_id, bug.environment_browser) == ("bug", t.pk, "Firefox")
    assert bug.item.evidence.get().ticket_id == t.pk


def test_an_incomplete_bug_shows_each_missing_field_in_place(ws, client_for):
    (t,) = ws.tickets_make(1)
    response = client_for(ws.agent).post(f"/t/{t.number}/bug/", {"title": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("version", "environment_browser", "steps", "actual"):
        assert f'id="id_{field}_error"' in html
    assert 'id="id_expected_error"' not in html  # optional: the customer seldom says what they expected
    assert not BugReport.objects.exists()


def test_sparkline_points_scale_the_highest_week_to_the_top():
    # width 30 over 4 weeks -> x step 10; height 12: y = 11 - v/top * 10
    assert sparkline_points([0, 2, 4, 1], width=30, height=12) == "0.0,11.0 10.0,6.0 20.0,1.0 30.0,8.5"
    assert sparkline_points([0, 0], width=10, height=12) == "0.0,11.0 10.0,11.0"


@pytest.mark.parametrize("n_items", [2, 25])
def test_ranking_queries_do_not_grow_with_the_items(ws, client_for, django_assert_max_num_queries, n_items):
    tickets = ws.tickets_make(4)
    for i in range(n_items):
        it = feedback_item_create(kind="feature_request", title=f"Idea {i}", actor=ws.pm)
        for t in tickets[: 1 + i % 4]:
            evidence_add(item=it, actor=ws.agent, ticket=t)
    client = client_for(ws.pm)
    client.get("/feedback/")  # the first read after company changes refreshes rollup MRR (feedback.rollups)
    with django_assert_max_num_queries(12):
        response = client.get("/feedback/")
    html = response.content.decode()
    assert html.count("<polyline") == n_items
    # Idea 1 has evidence from 2 tickets of 2 contacts (Alice, Bob): 2 unique customers; Idea 0 from Alice: 1.
    assert re.search(r">Idea 1</a>.*?<td data-unique-contacts>2</td>", html, re.S)
    assert re.search(r">Idea 0</a>.*?<td data-unique-contacts>1</td>", html, re.S)


@pytest.mark.parametrize("n_evidence", [1, 12])
def test_item_page_queries_do_not_grow_with_the_evidence(
    ws, client_for, django_assert_max_num_queries, item, n_evidence
):
    for t in ws.tickets_make(n_evidence):
        evidence_add(item=item, actor=ws.agent, ticket=t, quote=f"quote {t.number}")
    client = client_for(ws.pm)
    with django_assert_max_num_queries(22):
        response = client.get(f"/feedback/{item.pk}/")
    html = response.content.decode()
    assert html.count('class="quote"') == n_evidence
    expected_contacts = min(n_evidence, 2)
    assert f"<strong data-unique-contacts>{expected_contacts}</strong>" in html


def test_merging_a_duplicate_moves_its_evidence_and_keeps_unique_counts_exact(ws, client_for, item):
    a, b, c = ws.tickets_make(3)  # Alice, Bob, Alice
    dup = feedback_item_create(kind="feature_request", title="PDF invoices please", actor=ws.agent)
    evidence_add(item=item, actor=ws.agent, ticket=a)
    evidence_add(item=dup, actor=ws.agent, ticket=b)
    evidence_add(item=dup, actor=ws.agent, ticket=c)
    response = client_for(ws.pm).post(f"/feedback/{dup.pk}/merge/", {"target": item.pk})
    assert response["Location"] == f"/feedback/{item.pk}/"
    dup.refresh_from_db()
    item.stats.refresh_from_db()
    assert (dup.status, dup.merged_into_id) == ("merged", item.pk)
    # Alice twice + Bob once: 3 mentions, 2 unique contacts, 2 companies.
    assert (item.stats.mentions, item.stats.unique_contacts, item.stats.unique_companies) == (3, 2, 2)
    assert client_for(ws.pm).get(f"/feedback/{dup.pk}/")["Location"] == f"/feedback/{item.pk}/"


def test_an_agent_cannot_merge_or_change_status(ws, client_for, item):
    dup = feedback_item_create(kind="feature_request", title="dup", actor=ws.agent)
    assert client_for(ws.agent).post(f"/feedback/{dup.pk}/merge/", {"target": item.pk}).status_code == 403
    assert client_for(ws.agent).post(f"/feedback/{item.pk}/status/", {"status": "planned"}).status_code == 403


def test_shipping_previews_then_tells_each_customer_once(ws, client_for, item, django_capture_on_commit_callbacks):
    for t in ws.tickets_make(3):  # Alice, Bob, Alice
        evidence_add(item=item, actor=ws.agent, ticket=t)
    client = client_for(ws.pm)
    # The preview follows the box: unticked, nobody is told (the old page said "2 customers will be told").
    unticked = client.get(f"/feedback/{item.pk}/preview/", {"status": "shipped"}).content.decode()
    assert "Nobody will be told" in unticked and "will be told</h3>" in unticked
    assert "2 customers will be told" not in unticked and "alice@acme.example" not in unticked
    preview = client.get(f"/feedback/{item.pk}/preview/", {"status": "shipped", "notify": "on"}).content.decode()
    assert "2 customers will be told" in preview and "alice@acme.example" in preview and "bob@globex.example" in preview
    page = client.get(f"/feedback/{item.pk}/").content.decode()
    assert 'hx-include="#id_status, #id_notify"' in page
    missing = client.post(f"/feedback/{item.pk}/status/", {"status": "shipped", "notify": "on"})
    assert missing.status_code == 422 and 'id="id_release_note_error"' in missing.content.decode()
    data = {"status": "shipped", "notify": "on", "release_note": "PDF export is live."}
    # Ticked: a confirm step first, and nothing changes until it is confirmed.
    ask = client.post(f"/feedback/{item.pk}/status/", data)
    html = ask.content.decode()
    assert ask.status_code == 200 and '<h1 id="confirm-title">Ship and email 2 customers?</h1>' in html
    assert 'name="confirmed" value="yes"' in html and "alice@acme.example" in html and "PDF export is live." in html
    item.refresh_from_db()
    assert item.status == "new" and not ClosingNotice.objects.exists()
    back = client.post(f"/feedback/{item.pk}/status/", {**data, "confirmed": "back"}).content.decode()
    assert "PDF export is live.</textarea>" in back and "2 customers will be told" in back
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/feedback/{item.pk}/status/", {**data, "confirmed": "yes"})
    assert response.status_code == 302
    # Right after: every customer is listed as queued, and the panel polls until they are sent.
    html = client.get(f"/feedback/{item.pk}/").content.decode()
    told = html.split('id="notices-panel"')[1].split("</section>")[0]
    assert told.count('data-notice-status="pending"') == 2 and 'hx-trigger="every 2s"' in told
    for callback in callbacks:
        callback()
    told = ClosingNotice.objects.filter(item=item, status="sent")
    assert sorted(told.values_list("email", flat=True)) == ["alice@acme.example", "bob@globex.example"]
    panel = client.get(f"/feedback/{item.pk}/notices/").content.decode()
    assert panel.count('data-notice-status="sent"') == 2 and "every 2s" not in panel
    html = client.get(f"/feedback/{item.pk}/").content.decode()
    assert re.search(r'id="told".*alice@acme\.example.*bob@globex\.example', html, re.S) or re.search(
        r'id="told".*bob@globex\.example.*alice@acme\.example', html, re.S
    )


def test_declining_with_the_box_ticked_asks_before_emailing_and_unticked_tells_nobody(ws, client_for, item):
    for t in ws.tickets_make(2):  # Alice, Bob
        evidence_add(item=item, actor=ws.agent, ticket=t)
    client = client_for(ws.pm)
    data = {"status": "declined", "decline_reason": "Out of scope for this year."}
    ask = client.post(f"/feedback/{item.pk}/status/", {**data, "notify": "on"}).content.decode()
    assert "Decline and email 2 customers?" in ask
    item.refresh_from_db()
    assert item.status == "new"
    # Unticked: no question, nobody told.
    response = client.post(f"/feedback/{item.pk}/status/", data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "declined" and not ClosingNotice.objects.exists()


def test_roadmap_and_digest_show_planned_and_shipped_items(ws, client_for, item):
    from supportloop.feedback.services import feedback_item_set_status

    other = feedback_item_create(kind="improvement", title="Faster search", actor=ws.pm)
    feedback_item_set_status(item=item, status="planned", actor=ws.pm)
    feedback_item_set_status(item=other, status="shipped", actor=ws.pm, notify=False)
    client = client_for(ws.pm)
    html = client.get("/roadmap/").content.decode()
    planned = html.split('id="col-planned"')[1].split("</section>")[0]
    shipped = html.split('id="col-shipped"')[1].split("</section>")[0]
    assert "Export invoices as PDF" in planned and "Faster search" in shipped
    from django.utils import timezone

    monday = timezone.localdate() - __import__("datetime").timedelta(days=timezone.localdate().weekday())
    digest = client.get("/digest/", {"week": monday.isoformat()}).content.decode()
    assert "Faster search" in digest and "Export invoices as PDF" in digest


def test_a_bug_carries_over_the_attachments_chosen_from_the_ticket(ws, client_for, make_ticket):
    from supportloop.tickets.services.tickets import IncomingFile

    t = make_ticket(
        "Crash on export",
        body="see screenshot",
        requester=ws.alice,
        attachments=[
            IncomingFile("crash.png", b"\x89PNG...", "image/png"),
            IncomingFile("log.txt", b"trace", "text/plain"),
        ],
    )
    png, _log = t.messages.get().attachments.order_by("id")
    client = client_for(ws.agent)
    assert "crash.png" in client.get(f"/t/{t.number}/bug/").content.decode()
    client.post(
        f"/t/{t.number}/bug/",
        {
            "title": "Export crashes",
            "product_feature": ws.feature.pk,
            "version": "2.6",
            "environment_browser": "Firefox",
            "environment_os": "Linux",
            "environment_device": "Laptop",
            "environment_plan": "pro",
            "severity": "major",
            "frequency": "always",
            "steps": "Export",
            "expected": "A file",
            "actual": "A crash",
            "carry_attachment_ids": [png.pk],
        },
    )
    assert list(BugReport.objects.get().attachments.all()) == [png]


def test_linking_the_same_ticket_again_says_it_is_already_evidence(ws, client_for, item):
    (t,) = ws.tickets_make(1)
    client = client_for(ws.agent)
    first = client.post(
        f"/t/{t.number}/link/", {"item": item.pk, "quote": "", "importance": "important", "new_kind": "feature_request"}
    )
    assert first.status_code == 302
    existing = Evidence.objects.get(item=item)
    again = client.post(
        f"/t/{t.number}/link/", {"item": item.pk, "quote": "", "importance": "blocker", "new_kind": "feature_request"}
    )
    assert again.status_code == 422
    html = again.content.decode()
    assert re.search(
        rf'role="alert"><li>Ticket #{t.number} is already evidence for {item.reference} '
        rf"\(evidence {existing.pk}, ",
        html,
    )
    # Naming the message that is already linked gets the same clear answer (the message field is hidden).
    message = t.messages.get()
    client.post(
        f"/t/{t.number}/link/",
        {
            "item": item.pk,
            "quote": "PDF",
            "message": message.pk,
            "importance": "important",
            "new_kind": "feature_request",
        },
    )
    again = client.post(
        f"/t/{t.number}/link/",
        {
            "item": item.pk,
            "quote": "PDF please",
            "message": message.pk,
            "importance": "important",
            "new_kind": "feature_request",
        },
    )
    assert again.status_code == 422 and 'role="alert"><li>That message is already evidence' in again.content.decode()
    item.stats.refresh_from_db()
    assert (Evidence.objects.filter(item=item).count(), item.stats.mentions, item.stats.unique_contacts) == (2, 2, 1)


def test_the_item_page_shows_each_notice_and_a_product_manager_retries_the_failed_ones(
    ws, client_for, item, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    from supportloop.core.models import Event
    from supportloop.feedback.services import feedback_item_set_status

    alice_ticket, bob_ticket = ws.tickets_make(2)  # Alice, Bob
    evidence_add(item=item, actor=ws.agent, ticket=alice_ticket)
    evidence_add(item=item, actor=ws.agent, ticket=bob_ticket)
    settings.EMAIL_BACKEND = "supportloop.feedback.tests.failing_backend.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        feedback_item_set_status(item=item, status="shipped", actor=ws.pm, release_note="PDF export is live.")
    ClosingNotice.objects.filter(email="bob@globex.example").update(status="failed", attempts=5)
    pm = client_for(ws.pm)
    html = pm.get(f"/feedback/{item.pk}/").content.decode()
    told = html.split('id="told"')[1].split("</section>")[0]
    rows = {row.split('"')[1]: row for row in told.split("<tr data-notice-status=")[1:]}
    assert re.search(
        r"alice@acme\.example.*Queued.*1/5.*next try .*ConnectionRefusedError: SMTP server unavailable",
        rows["pending"],
        re.S,
    )
    assert re.search(r"bob@globex\.example.*Failed.*5/5.*gave up", rows["failed"], re.S)
    assert "Retry 1 failed notice" in told
    preview = pm.get(f"/feedback/{item.pk}/preview/", {"status": "shipped", "notify": "on"}).content.decode()
    assert "1 customer will be told" in preview and "failed: retry" in preview and "queued" in preview
    assert "Retry 1 failed notice" not in client_for(ws.agent).get(f"/feedback/{item.pk}/").content.decode()
    assert client_for(ws.agent).post(f"/feedback/{item.pk}/notices/retry/").status_code == 403

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = pm.post(f"/feedback/{item.pk}/notices/retry/")
    assert response["Location"] == f"/feedback/{item.pk}/"
    assert [m.to for m in mail.outbox] == [["bob@globex.example"]]
    assert ClosingNotice.objects.get(email="bob@globex.example").status == "sent"
    assert Event.objects.filter(verb="feedback_item.notices_retried", actor=ws.pm).count() == 1
    html = pm.get(f"/feedback/{item.pk}/").content.decode()
    assert "1 notice queued again." in html and "Retry 1 failed notice" not in html
