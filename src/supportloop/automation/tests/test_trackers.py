"""Engineering trackers' webhooks: each provider's real signature scheme, checked against a reference HMAC computed
here with hashlib; bad or missing signatures refused (401) and recorded; a closed issue proposes shipping the
linked item (never ships it); a redelivery acts once; oversize bodies, unset secrets and floods are refused; the
product manager accepts (the normal status change) or dismisses on the item page."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from supportloop.accounts.choices import Role
from supportloop.core.models import Event
from supportloop.feedback.models import FeedbackItem, ShipProposal, TrackerDelivery
from supportloop.feedback.services import engineering_link_add, feedback_item_set_status

pytestmark = pytest.mark.django_db

SECRET = "It's a Secret to Everybody"


def reference_hmac(secret: str, body: bytes) -> str:
    """The providers' documented scheme, computed independently of automation/trackers.py."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_the_reference_hmac_matches_githubs_published_example():
    # GitHub's documentation's test values for X-Hub-Signature-256.
    assert reference_hmac(SECRET, b"Hello, World!") == (
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.TRACKER_GITHUB_SECRET = SECRET
    settings.TRACKER_GITLAB_SECRET = "gitlab-token-1"
    settings.TRACKER_JIRA_SECRET = "jira-secret-2"
    settings.TRACKER_LINEAR_SECRET = "linear-secret-3"
    settings.TRACKER_WEBHOOK_RATE = "1000/m"


@pytest.fixture
def client_for():
    def _client(user):
        client = Client()
        client.force_login(user)
        return client

    return _client


@pytest.fixture
def pm(make_user):
    return make_user(Role.PRODUCT)


@pytest.fixture
def item(make_item, pm):
    return make_item("Dark mode", actor=pm, owner=pm)


def github(action: str = "closed", repo: str = "acme/app", number: int = 7) -> dict:
    return {
        "action": action,
        "issue": {"number": number, "html_url": f"https://github.com/{repo}/issues/{number}", "state": "closed"},
        "repository": {"full_name": repo},
    }


def gitlab(action: str = "close") -> dict:
    return {
        "object_kind": "issue",
        "project": {"path_with_namespace": "acme/app"},
        "object_attributes": {"iid": 12, "action": action, "url": "https://gitlab.com/acme/app/-/issues/12"},
    }


def jira(category: str = "done") -> dict:
    return {
        "webhookEvent": "jira:issue_updated",
        "issue": {"key": "UI-3", "fields": {"status": {"statusCategory": {"key": category}}}},
    }


def linear(state: str = "completed", stamp_ms: int | None = None) -> dict:
    return {
        "action": "update",
        "type": "Issue",
        "data": {"identifier": "ENG-7", "url": "https://linear.app/acme/issue/ENG-7/dark", "state": {"type": state}},
        "webhookTimestamp": stamp_ms if stamp_ms is not None else int(time.time() * 1000),
    }


def post(kind: str, payload: dict | bytes, headers: dict):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return Client().post(f"/api/v1/trackers/{kind}/webhook", body, content_type="application/json", **meta), body


def signed(kind: str, payload: dict, delivery: str = "d-1") -> tuple[object, bytes]:
    body = json.dumps(payload).encode()
    if kind == "github":
        headers = {
            "X-Hub-Signature-256": "sha256=" + reference_hmac(SECRET, body),
            "X-GitHub-Delivery": delivery,
            "X-GitHub-Event": "issues",
        }
    elif kind == "gitlab":
        headers = {"X-Gitlab-Token": "gitlab-token-1", "X-Gitlab-Event-UUID": delivery, "X-Gitlab-Event": "Issue Hook"}
    elif kind == "jira":
        headers = {
            "X-Hub-Signature": "sha256=" + reference_hmac("jira-secret-2", body),
            "X-Atlassian-Webhook-Identifier": delivery,
        }
    else:
        headers = {
            "Linear-Signature": reference_hmac("linear-secret-3", body),
            "Linear-Delivery": delivery,
            "Linear-Event": "Issue",
        }
    return post(kind, body, headers)


LINKS = {
    "github": ("https://github.com/acme/app/issues/7", "acme/app#7", github),
    "gitlab": ("https://gitlab.com/acme/app/-/issues/12", "acme/app#12", gitlab),
    "jira": ("https://acme.atlassian.net/browse/UI-3", "", jira),  # found by the URL's /browse/UI-3
    "linear": ("https://linear.app/acme/issue/ENG-7/dark", "ENG-7", linear),
}


@pytest.mark.parametrize("kind", list(LINKS))
def test_a_signed_close_proposes_shipping_the_linked_item_and_never_ships_it(kind, item, pm):
    url, key, payload = LINKS[kind]
    engineering_link_add(item=item, url=url, key=key, actor=pm)
    response, _body = signed(kind, payload())
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "proposed" and response.json()["proposals"] == 1
    proposal = ShipProposal.objects.get(item=item)
    assert (proposal.tracker, proposal.status) == (kind, "pending")
    assert FeedbackItem.objects.get(pk=item.pk).status == "new"  # not shipped
    assert Event.objects.filter(verb="feedback_item.ship_proposed", target_id=str(item.pk)).exists()


@pytest.mark.parametrize("kind", list(LINKS))
def test_a_redelivery_acts_once(kind, item, pm):
    url, key, payload = LINKS[kind]
    engineering_link_add(item=item, url=url, key=key, actor=pm)
    first, _ = signed(kind, payload(), delivery="same-id")
    again, _ = signed(kind, payload(), delivery="same-id")
    assert first.json()["outcome"] == "proposed" and again.json()["outcome"] == "duplicate"
    assert ShipProposal.objects.count() == 1
    assert TrackerDelivery.objects.filter(delivery_id="same-id").count() == 1


@pytest.mark.parametrize(
    ("kind", "headers"),
    [
        ("github", {"X-Hub-Signature-256": "sha256=" + "0" * 64, "X-GitHub-Delivery": "x", "X-GitHub-Event": "issues"}),
        ("github", {"X-GitHub-Delivery": "x", "X-GitHub-Event": "issues"}),  # unsigned
        ("github", {"X-Hub-Signature-256": "sha1=abc", "X-GitHub-Delivery": "x"}),
        ("gitlab", {"X-Gitlab-Token": "gitlab-token-", "X-Gitlab-Event-UUID": "x"}),  # a prefix of the token
        ("gitlab", {"X-Gitlab-Event-UUID": "x"}),
        (
            "jira",
            {"X-Hub-Signature": "sha256=" + reference_hmac("wrong", b"{}"), "X-Atlassian-Webhook-Identifier": "x"},
        ),
        ("linear", {"Linear-Signature": reference_hmac("linear-secret-3", b"other body"), "Linear-Delivery": "x"}),
    ],
)
def test_bad_signatures_are_refused_with_401_and_recorded_for_an_operator(kind, headers, item, pm):
    url, key, payload = LINKS[kind]
    engineering_link_add(item=item, url=url, key=key, actor=pm)
    response, body = post(kind, payload(), headers)
    assert response.status_code == 401 and response["Content-Type"].startswith("application/problem+json")
    assert not ShipProposal.objects.exists()
    rejected = TrackerDelivery.objects.get(tracker=kind)
    assert rejected.outcome == "rejected" and rejected.body_sha256 == hashlib.sha256(body).hexdigest()


def test_a_tampered_body_fails_the_signature_of_the_original(item, pm):
    engineering_link_add(item=item, url=LINKS["github"][0], key="acme/app#7", actor=pm)
    original = json.dumps(github(action="reopened")).encode()
    headers = {"X-Hub-Signature-256": "sha256=" + reference_hmac(SECRET, original), "X-GitHub-Delivery": "t"}
    response, _ = post("github", github(action="closed"), headers)
    assert response.status_code == 401 and not ShipProposal.objects.exists()


def test_a_forged_delivery_does_not_block_the_real_one_with_the_same_id(item, pm):
    engineering_link_add(item=item, url=LINKS["github"][0], key="acme/app#7", actor=pm)
    forged, _ = post("github", github(), {"X-Hub-Signature-256": "sha256=00", "X-GitHub-Delivery": "d-1"})
    real, _ = signed("github", github(), delivery="d-1")
    assert (forged.status_code, real.json()["outcome"]) == (401, "proposed")


def test_a_stale_linear_delivery_is_refused_as_a_replay(item, pm):
    engineering_link_add(item=item, url=LINKS["linear"][0], key="ENG-7", actor=pm)
    response, _ = signed("linear", linear(stamp_ms=int((time.time() - 3600) * 1000)))
    assert response.status_code == 401 and not ShipProposal.objects.exists()


def test_other_events_and_unlinked_issues_are_ignored(item, pm):
    engineering_link_add(item=item, url=LINKS["github"][0], key="acme/app#7", actor=pm)
    reopened, _ = signed("github", github(action="reopened"), delivery="a")
    other_issue, _ = signed("github", github(number=99), delivery="b")
    in_progress, _ = signed("jira", jira(category="indeterminate"), delivery="c")
    assert [r.json()["outcome"] for r in (reopened, other_issue, in_progress)] == ["ignored"] * 3
    assert not ShipProposal.objects.exists()


def test_an_unset_secret_accepts_nothing(settings, item, pm):
    settings.TRACKER_GITHUB_SECRET = ""
    response, _ = signed("github", github())
    assert response.status_code == 404 and not TrackerDelivery.objects.exists()


def test_oversize_bodies_are_refused(settings, item, pm):
    settings.TRACKER_WEBHOOK_MAX_BYTES = 1000
    big = github()
    big["padding"] = "x" * 2000
    response, _ = signed("github", big)
    assert response.status_code == 413 and not TrackerDelivery.objects.exists()


def test_floods_from_one_address_are_refused(settings, item, pm):
    settings.TRACKER_WEBHOOK_RATE = "2/m"
    codes = [signed("github", github(action="reopened"), delivery=f"f{i}")[0].status_code for i in range(3)]
    assert codes == [200, 200, 429]


def test_a_settled_item_gets_no_proposal_and_a_second_close_adds_none(item, pm):
    engineering_link_add(item=item, url=LINKS["github"][0], key="acme/app#7", actor=pm)
    signed("github", github(), delivery="one")
    signed("github", github(), delivery="two")  # closed again (a reopen and close): still one pending
    assert ShipProposal.objects.filter(status="pending").count() == 1
    feedback_item_set_status(item=item, status="declined", actor=pm, decline_reason="Not now", notify=False)
    ShipProposal.objects.all().delete()
    signed("github", github(), delivery="three")
    assert not ShipProposal.objects.exists()


def test_the_product_manager_accepts_through_the_status_change_or_dismisses(item, pm, client_for):
    engineering_link_add(item=item, url=LINKS["github"][0], key="acme/app#7", actor=pm)
    signed("github", github(), delivery="one")
    client = client_for(pm)
    page = client.get(f"/feedback/{item.pk}/").content.decode()
    assert "data-ship-proposals" in page and "acme/app#7" in page
    proposal = ShipProposal.objects.get()
    # Accepting without a release note: the normal status change refuses, nothing ships.
    refused = client.post(
        f"/feedback/{item.pk}/status/", {"status": "shipped", "notify": "on", "release_note": "", "note": "x"}
    )
    assert refused.status_code == 422 and FeedbackItem.objects.get(pk=item.pk).status == "new"
    done = client.post(
        f"/feedback/{item.pk}/status/",
        {"status": "shipped", "notify": "on", "release_note": "Dark mode is live.", "note": "", "confirmed": "yes"},
    )
    assert done.status_code == 302 and FeedbackItem.objects.get(pk=item.pk).status == "shipped"
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == ("accepted", pm)


def test_dismissing_leaves_the_item_as_it_was(item, pm, client_for):
    engineering_link_add(item=item, url=LINKS["github"][0], key="acme/app#7", actor=pm)
    signed("github", github(), delivery="one")
    proposal = ShipProposal.objects.get()
    response = client_for(pm).post(f"/feedback/{item.pk}/proposals/{proposal.pk}/dismiss/")
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "dismissed" and FeedbackItem.objects.get(pk=item.pk).status == "new"
    assert Event.objects.filter(verb="feedback_item.ship_proposal_dismissed").exists()
    assert "data-ship-proposals" not in client_for(pm).get(f"/feedback/{item.pk}/").content.decode()
