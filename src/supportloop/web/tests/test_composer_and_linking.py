"""Issue 12, composer and feedback linking, through the test client: the reply / internal-note look as served, the
signature preview, the feedback search on the search engine (same fragment as before), and the feedback panel's
status and engineering links read without N+1."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportloop.accounts.services import user_update
from supportloop.feedback.services import (
    engineering_link_add,
    evidence_add,
    feedback_item_create,
    feedback_item_merge,
    feedback_item_set_status,
)

pytestmark = pytest.mark.django_db


def composer_html(html: str) -> str:
    return re.search(r"<form [^>]*data-composer.*?</form>", html, re.S).group(0)


def test_a_reply_is_composed_in_the_reply_look_with_the_signature_previewed(ws, client_for):
    (t,) = ws.tickets_make(1)
    user_update(user=ws.agent, actor=ws.agent, signature="Alex <Support>\nAcme")
    composer = composer_html(client_for(ws.agent).get(f"/t/{t.number}/").content.decode())
    assert 'class="panel composer"' in composer
    assert re.search(r'<p class="note-label"[^>]* hidden>Internal note — only your team sees this</p>', composer)
    signature = '<span class="signature-text">Alex &lt;Support&gt;\nAcme</span>'
    assert f"data-signature-preview data-reply-only>Signature: {signature}" in composer
    assert f'data-macro-popup data-search-url="/t/{t.number}/macros/"' in composer


def test_an_agent_without_a_signature_is_pointed_to_the_account_page(ws, client_for):
    (t,) = ws.tickets_make(1)
    composer = composer_html(client_for(ws.agent).get(f"/t/{t.number}/").content.decode())
    assert 'No signature yet. <a href="/account/">Add one on your account page</a>' in composer


def test_product_managers_write_notes_only_so_the_composer_is_in_the_note_look_without_signature(ws, client_for):
    (t,) = ws.tickets_make(1)
    user_update(user=ws.pm, actor=ws.pm, signature="Pat")
    composer = composer_html(client_for(ws.pm).get(f"/t/{t.number}/").content.decode())
    assert 'class="panel composer is-note"' in composer
    assert re.search(r'<p class="note-label"[^>]*data-note-label>Internal note', composer)
    assert "data-signature-preview" not in composer and "data-macro-popup" not in composer


def test_a_refused_note_comes_back_in_the_note_look(ws, client_for):
    (t,) = ws.tickets_make(1)
    response = client_for(ws.agent).post(f"/t/{t.number}/compose/", {"kind": "note", "body": ""})
    assert response.status_code == 422
    composer = composer_html(response.content.decode())
    assert 'class="panel composer is-note"' in composer
    assert re.search(r"data-signature-preview[^>]* hidden>", composer)


def test_the_feedback_search_uses_the_engine_and_keeps_its_fragment(ws, client_for):
    csv = feedback_item_create(kind="feature_request", title="Exporting to CSV", actor=ws.pm)
    duplicate = feedback_item_create(kind="feature_request", title="CSV export please", actor=ws.pm)
    feedback_item_merge(source=duplicate, target=csv, actor=ws.pm)
    feedback_item_set_status(item=csv, status="planned", actor=ws.pm)
    client = client_for(ws.agent)

    html = client.get("/feedback/search/", {"q": "CSV export"}).content.decode()
    # the same radio choices as before, with the status for the selection's combobox; the merged duplicate is gone
    assert re.search(
        rf'<input type="radio" name="item" value="{csv.pk}" data-item-title="Exporting to CSV" '
        r'data-item-status="Planned" data-item-status-code="planned">',
        html,
    )
    assert f'value="{duplicate.pk}"' not in html
    html = client.get("/feedback/search/", {"q": "export", "field": "target", "exclude": csv.pk}).content.decode()
    assert 'name="target"' not in html and "No item matches." in html

    response = client.get("/feedback/search/", {"q": "colour:blue"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode() and "colour" in response.content.decode()


def _page_queries(client, number: int) -> int:
    client.get(f"/t/{number}/")  # warm the caches (taxonomy index, sidebar counts)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/t/{number}/")
    assert response.status_code == 200
    return len(queries)


def test_the_feedback_panel_shows_status_and_engineering_links_with_one_query_for_all_links(ws, client_for):
    (t,) = ws.tickets_make(1)
    client = client_for(ws.agent)
    without_links = _page_queries(client, t.number)

    items = []
    for n, status in enumerate(["planned", "in_progress", "shipped"]):
        item = feedback_item_create(kind="feature_request", title=f"Idea {n}", actor=ws.pm)
        evidence_add(item=item, actor=ws.agent, ticket=t, quote=f"quote {n}")
        if status == "shipped":
            feedback_item_set_status(item=item, status=status, actor=ws.pm, release_note="Out now.", notify=False)
        else:
            feedback_item_set_status(item=item, status=status, actor=ws.pm)
        engineering_link_add(item=item, url=f"https://linear.app/acme/issue/ENG-{n}", key=f"ENG-{n}", actor=ws.pm)
        engineering_link_add(item=item, url=f"https://github.com/acme/app/issues/{n}", actor=ws.pm)
        items.append(item)

    # three items with two links each cost one query more than a ticket with no linked feedback
    assert _page_queries(client, t.number) <= without_links + 1
    html = client.get(f"/t/{t.number}/").content.decode()
    panel = re.search(r'id="ticket-feedback">.*?</ul>\s*</li>\s*</ul>', html, re.S).group(0)
    for n, (item, status) in enumerate(zip(items, ["Planned", "In progress", "Shipped"], strict=True)):
        row = re.search(rf'data-feedback-item="{item.pk}">.*?</ul></li>', panel, re.S).group(0)
        assert f"data-item-status>{status}</span>" in row
        assert f'<span class="muted">Linear</span> <a href="https://linear.app/acme/issue/ENG-{n}"' in row
        assert f'<span class="muted">GitHub</span> <a href="https://github.com/acme/app/issues/{n}"' in row
