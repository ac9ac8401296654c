"""Outbound webhooks and chat posts against a local HTTP server that records what it receives.

The receiver's signature check below is written from the documented recipe with the hmac module alone, never
with supportloop's own signing code, so a wrong signature cannot verify itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.automation.actions import ActionContext, action_spec
from supportloop.automation.choices import DeliveryStatus
from supportloop.automation.models import WebhookDelivery, WebhookEndpoint
from supportloop.automation.services.webhooks import (
    chat_integration_create,
    retry_delay,
    webhook_delivery_resend,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_ping,
    webhook_retry_due,
)
from supportloop.automation.webhook_http import MAX_RESPONSE_BYTES, UrlRefused, webhook_url_check
from supportloop.core.errors import ValidationFailed
from supportloop.core.models import Event

pytestmark = pytest.mark.django_db


class Recorder:
    """A local receiver: answers each POST with the next status of `statuses` (the last one repeats)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses = [200]
        self.body = b"ok"
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                recorder.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": self.rfile.read(length)}
                )
                status = recorder.statuses.pop(0) if len(recorder.statuses) > 1 else recorder.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", str(len(recorder.body)))
                self.end_headers()
                self.wfile.write(recorder.body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def receiver(settings):
    settings.SUPPORTLOOP_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SUPPORTLOOP_WEBHOOK_ALLOW_HTTP = True
    settings.SUPPORTLOOP_WEBHOOK_TIMEOUT_SECONDS = 5
    recorder = Recorder()
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


# -- the reference receiver (independent of supportloop.automation.services.webhooks) --------------------------------
TOLERANCE_SECONDS = 300


def reference_verify(*, secret: str, header: str, body: bytes, now: float) -> bool:
    """The recipe of docs/automation-webhooks.md: split t= and v1=, HMAC-SHA256 over "<t>.<body>", constant-time
    compare, and refuse a timestamp more than five minutes away (replay protection)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_ticket_event_reaches_subscribed_endpoints_signed_and_verifiable(
    receiver, admin, make_ticket, django_capture_on_commit_callbacks
):
    created = webhook_endpoint_create(url=receiver.url("/created"), event_types=["ticket.created"], actor=admin)
    webhook_endpoint_create(url=receiver.url("/replied"), event_types=["ticket.replied"], actor=admin)

    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket("Printer on fire")

    assert [r["path"] for r in receiver.requests] == ["/created"]  # the replied-only endpoint got nothing
    request = receiver.requests[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    signature = headers["supportloop-signature"]
    assert reference_verify(secret=created.secret, header=signature, body=request["body"], now=time.time())
    # a tampered body or another secret does not verify
    assert not reference_verify(
        secret=created.secret, header=headers["supportloop-signature"], body=request["body"] + b" ", now=time.time()
    )
    assert not reference_verify(
        secret="whsec_other", header=headers["supportloop-signature"], body=request["body"], now=time.time()
    )
    # replay: the same signed request presented ten minutes later is refused by the receiver
    assert not reference_verify(
        secret=created.secret, header=headers["supportloop-signature"], body=request["body"], now=time.time() + 600
    )

    payload = json.loads(request["body"])
    assert payload["type"] == "ticket.created" and payload["id"].startswith("evt_")
    assert payload["data"]["ticket"]["number"] == ticket.number
    assert payload["data"]["ticket"]["subject"] == "Printer on fire"
    assert payload["data"]["ticket"]["url"].endswith(f"/t/{ticket.number}/")
    assert headers["supportloop-event"] == "ticket.created"
    assert headers["host"] == f"127.0.0.1:{receiver.port}"
    delivery = WebhookDelivery.objects.get(endpoint=created)
    assert headers["supportloop-delivery"] == str(delivery.uid)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    assert delivery.last_response_code == 200 and delivery.last_response_body == "ok"
    assert delivery.duration_ms is not None and delivery.next_attempt_at is None
    verbs = list(Event.objects.filter(target_type="automation.webhookdelivery").values_list("verb", flat=True))
    assert sorted(verbs) == ["webhook.delivery_queued", "webhook.delivery_succeeded"]


def test_failed_attempts_are_retried_with_growing_jittered_pauses_until_one_succeeds(
    receiver, admin, django_capture_on_commit_callbacks
):
    receiver.statuses = [500, 503, 200]
    endpoint = webhook_endpoint_create(url=receiver.url(), event_types=["ticket.created"], actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_ping(endpoint=endpoint, actor=admin)

    delivery.refresh_from_db()
    first_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_response_code == 500 and delivery.last_error == "HTTP 500"
    # 60 s with equal jitter: 30..60 s after the attempt ended (+ the attempt's own few milliseconds)
    assert timedelta(seconds=30) <= first_wait <= timedelta(seconds=62)

    assert webhook_retry_due(now=timezone.now()) == 0  # not due yet
    assert webhook_retry_due(now=delivery.next_attempt_at + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    second_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert delivery.attempts == 2 and delivery.last_response_code == 503
    assert timedelta(seconds=60) <= second_wait <= timedelta(seconds=122)

    webhook_retry_due(now=delivery.next_attempt_at + timedelta(seconds=1))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 3
    assert len(receiver.requests) == 3
    ids = {r["headers"]["Supportloop-Delivery"] for r in receiver.requests}
    assert ids == {str(delivery.uid)}  # one delivery id across retries, so a receiver can drop duplicates
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0  # the success reset it


def test_the_backoff_doubles_is_capped_at_six_hours_and_jitters_within_the_upper_half():
    rng = random.Random(7)
    for attempt, base in [(1, 60), (2, 120), (3, 240), (8, 7680), (9, 15360), (10, 21600), (30, 21600)]:
        for _ in range(20):
            delay = retry_delay(attempt, rng=rng).total_seconds()
            assert base / 2 <= delay <= base, (attempt, delay)


def test_an_attempt_is_made_once_even_when_two_workers_are_handed_it(receiver, admin):
    from supportloop.automation.services.webhooks import webhook_delivery_attempt

    endpoint = webhook_endpoint_create(url=receiver.url(), event_types=["ticket.created"], actor=admin)
    delivery = webhook_ping(endpoint=endpoint, actor=admin)  # its queued task is not run (no commit here)
    assert webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1) is not None
    assert webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1) is None
    assert len(receiver.requests) == 1


def test_an_endpoint_failing_n_times_in_a_row_is_disabled_and_the_admins_are_told(
    receiver, admin, settings, django_capture_on_commit_callbacks
):
    settings.SUPPORTLOOP_WEBHOOK_DISABLE_AFTER = 3
    receiver.statuses = [500]
    endpoint = webhook_endpoint_create(url=receiver.url(), event_types=["ticket.created"], actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            webhook_ping(endpoint=endpoint, actor=admin)
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_at is not None and endpoint.consecutive_failures == 3
    event = Event.objects.get(verb="webhook.endpoint_disabled")
    assert event.target_id == str(endpoint.pk) and event.changes["consecutive_failures"] == 3
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [admin.email] and endpoint.url in mail.outbox[0].subject

    # a retry that comes after the switch-off is skipped, not sent
    pending = WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).first()
    assert pending is not None
    sent = len(receiver.requests)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_retry_due(now=timezone.now() + timedelta(days=1))
    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.SKIPPED and len(receiver.requests) == sent
    with pytest.raises(ValidationFailed):
        webhook_delivery_resend(delivery=pending, actor=admin)

    # an admin may still ping it (to see whether the receiver is back); the failure sends no second notice
    with django_capture_on_commit_callbacks(execute=True):
        ping = webhook_ping(endpoint=endpoint, actor=admin)
    ping.refresh_from_db()
    assert ping.attempts == 1 and ping.last_response_code == 500 and len(receiver.requests) == sent + 1
    assert len(mail.outbox) == 1

    # enabling it again clears the count
    webhook_endpoint_update(endpoint=endpoint, actor=admin, enabled=True)
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 0 and endpoint.disabled_at is None


def test_a_delivery_is_failed_after_the_last_attempt(receiver, admin, settings, django_capture_on_commit_callbacks):
    settings.SUPPORTLOOP_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.statuses = [410]
    endpoint = webhook_endpoint_create(url=receiver.url(), event_types=["ticket.created"], actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_ping(endpoint=endpoint, actor=admin)
    webhook_retry_due(now=timezone.now() + timedelta(minutes=5))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2 and delivery.next_attempt_at is None
    assert Event.objects.filter(verb="webhook.delivery_failed", target_id=str(delivery.pk)).exists()


def test_redirects_are_not_followed_and_the_response_read_is_capped(
    receiver, admin, django_capture_on_commit_callbacks
):
    receiver.statuses = [302]
    receiver.body = b"x" * (MAX_RESPONSE_BYTES * 4)
    endpoint = webhook_endpoint_create(url=receiver.url(), event_types=["ticket.created"], actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_ping(endpoint=endpoint, actor=admin)
    delivery.refresh_from_db()
    assert delivery.last_response_code == 302 and delivery.status == DeliveryStatus.PENDING
    assert len(delivery.last_response_body) == 1000 and len(receiver.requests) == 1


def test_resend_makes_a_new_delivery_of_the_same_event(receiver, admin, django_capture_on_commit_callbacks):
    endpoint = webhook_endpoint_create(url=receiver.url(), event_types=["ticket.created"], actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        first = webhook_ping(endpoint=endpoint, actor=admin)
        again = webhook_delivery_resend(delivery=first, actor=admin)
    assert again.pk != first.pk and again.uid != first.uid and again.event_id == first.event_id
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    assert bodies[0] == bodies[1] and bodies[0]["type"] == "ping"


# -- URL validation ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/hook",
        "https://2130706433/hook",  # 127.0.0.1 as one number
        "https://private.test/hook",
        "https://mixed.test/hook",
        "https://metadata.google.internal/",
    ],
)
def test_private_loopback_link_local_and_metadata_targets_are_refused(url, fake_dns, admin):
    fake_dns.table["private.test"] = ["10.0.0.1"]
    fake_dns.table["mixed.test"] = ["93.184.216.34", "::1"]  # one bad address is enough
    with pytest.raises(UrlRefused):
        webhook_url_check(url)
    with pytest.raises(ValidationFailed) as exc:
        webhook_endpoint_create(url=url, event_types=["ticket.created"], actor=admin)
    assert "url" in exc.value.errors
    assert not WebhookEndpoint.objects.exists()


def test_http_is_refused_unless_allowed_and_the_allow_list_never_opens_metadata(settings, fake_dns):
    fake_dns.table["hooks.test"] = ["93.184.216.34"]
    assert webhook_url_check("https://hooks.test/x").addresses[0].exploded == "93.184.216.34"
    with pytest.raises(UrlRefused, match="https"):
        webhook_url_check("http://hooks.test/x")
    with pytest.raises(UrlRefused):
        webhook_url_check("ftp://hooks.test/x")
    settings.SUPPORTLOOP_WEBHOOK_ALLOWED_HOSTS = ["internal.test", "169.254.169.254"]
    fake_dns.table["internal.test"] = ["10.1.2.3"]
    assert webhook_url_check("https://internal.test/x").host == "internal.test"
    with pytest.raises(UrlRefused):
        webhook_url_check("https://169.254.169.254/")  # link-local metadata: never


def test_a_host_that_rebinds_to_loopback_after_it_was_saved_is_refused_at_delivery(
    receiver, settings, fake_dns, admin, django_capture_on_commit_callbacks
):
    settings.SUPPORTLOOP_WEBHOOK_ALLOWED_HOSTS = []  # the receiver's 127.0.0.1 is not allowed here
    fake_dns.table["rebind.test"] = [["93.184.216.34"], ["127.0.0.1"]]  # first answer when saved, then loopback
    endpoint = webhook_endpoint_create(
        url=f"http://rebind.test:{receiver.port}/hook", event_types=["ticket.created"], actor=admin
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_ping(endpoint=endpoint, actor=admin)
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.last_response_code is None and "loopback" in delivery.last_error


# -- chat actions ------------------------------------------------------------------------------------------------------
HOSTILE_SUBJECT = "<!channel> Refund & <https://evil.example|click here> [now](https://evil.example)"


def test_post_to_slack_sends_block_kit_with_the_ticket_values_escaped(
    receiver, admin, make_ticket, django_capture_on_commit_callbacks
):
    integration = chat_integration_create(
        name="Support alerts",
        kind="slack",
        webhook_url=receiver.url("/slack"),
        message_template="*Urgent* #{ticket.number}: {ticket.subject} <https://status.example|status>",
        actor=admin,
    )
    ticket = make_ticket(HOSTILE_SUBJECT)
    spec = action_spec("post_to_slack")
    params = spec.validate({"integration": integration.pk})
    preview = spec.preview(ticket, params)
    assert preview.startswith("Would post to Support alerts:") and receiver.requests == []

    with django_capture_on_commit_callbacks(execute=True):
        line = spec.run(ticket, params, ActionContext(event=None, rule_label="Rule: urgent"))
    assert line == "Posted to Support alerts"
    body = json.loads(receiver.requests[0]["body"])
    assert receiver.requests[0]["path"] == "/slack"
    assert "Supportloop-Signature" not in receiver.requests[0]["headers"]  # Slack does not verify; not sent
    section, context = body["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    text = section["text"]["text"]
    # the customer's text cannot mention the channel or make a link; the admin's template link stays
    assert "<!channel>" not in text and "&lt;!channel&gt; Refund &amp; &lt;https://evil.example|click here&gt;" in text
    assert text.startswith(f"*Urgent* #{ticket.number}: ") and text.endswith("<https://status.example|status>")
    assert body["text"] == text
    assert context["type"] == "context" and f"/t/{ticket.number}/|#{ticket.number}>" in context["elements"][0]["text"]


def test_post_to_teams_sends_an_adaptive_card(receiver, admin, make_ticket, django_capture_on_commit_callbacks):
    integration = chat_integration_create(
        name="Teams ops",
        kind="teams",
        webhook_url=receiver.url("/teams"),
        message_template="New ticket {ticket.subject} from {requester.name}",
        actor=admin,
    )
    ticket = make_ticket(HOSTILE_SUBJECT)
    spec = action_spec("post_to_teams")
    with pytest.raises(ValidationFailed):  # a Teams integration is not a Slack one
        action_spec("post_to_slack").validate({"integration": integration.pk})
    params = spec.validate({"integration": str(integration.pk), "template": "#{ticket.number} {ticket.subject}"})
    with django_capture_on_commit_callbacks(execute=True):
        spec.run(ticket, params, ActionContext(event=None, rule_label="Rule: teams"))
    body = json.loads(receiver.requests[0]["body"])
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    (block,) = card["body"]
    assert block["type"] == "TextBlock" and block["wrap"] is True
    assert block["text"].startswith(f"#{ticket.number} ")  # the template's own # stays; values are escaped
    assert "\\[now\\]\\(https://evil\\.example\\)" in block["text"]  # no markdown link from the subject
    (button,) = card["actions"]
    assert button["type"] == "Action.OpenUrl" and button["url"].endswith(f"/t/{ticket.number}/")


def test_actions_refuse_unknown_targets_parameters_and_placeholders(admin, fake_dns):
    fake_dns.table["hooks.slack.test"] = ["93.184.216.34"]
    integration = chat_integration_create(
        name="S",
        kind="slack",
        webhook_url="https://hooks.slack.test/x",
        message_template="{ticket.subject}",
        actor=admin,
    )
    with pytest.raises(ValidationFailed) as exc:
        action_spec("post_to_slack").validate({"integration": integration.pk, "template": "{ticket.secret}"})
    assert "template" in exc.value.errors
    with pytest.raises(ValidationFailed):
        action_spec("post_to_slack").validate({"integration": 999999})
    with pytest.raises(ValidationFailed):
        action_spec("call_webhook").validate({"endpoint": 999999})
    with pytest.raises(ValidationFailed):
        action_spec("call_webhook").validate({"endpoint": True})
    with pytest.raises(ValidationFailed):
        action_spec("call_webhook").validate({"endpoint": 1, "extra": 2})
    with pytest.raises(ValidationFailed):
        chat_integration_create(
            name="T", kind="slack", webhook_url="https://hooks.slack.test/x", message_template="{nope.x}", actor=admin
        )


def test_call_webhook_action_sends_a_signed_rule_event(
    receiver, admin, make_ticket, django_capture_on_commit_callbacks
):
    endpoint = webhook_endpoint_create(url=receiver.url(), event_types=["ticket.sla_breach"], actor=admin)
    ticket = make_ticket("Rule target")
    spec = action_spec("call_webhook")
    params = spec.validate({"endpoint": endpoint.pk})
    assert spec.preview(ticket, params) == f"Would call the webhook {endpoint.url} with ticket #{ticket.number}"
    with django_capture_on_commit_callbacks(execute=True):
        line = spec.run(ticket, params, ActionContext(event=None, rule_label="Rule: escalate"))
    assert line == f"Webhook queued to {endpoint.url}"
    request = receiver.requests[0]
    signature = request["headers"]["Supportloop-Signature"]
    assert reference_verify(secret=endpoint.secret, header=signature, body=request["body"], now=time.time())
    body = json.loads(request["body"])
    assert body["type"] == "automation.rule" and body["data"]["rule"] == "Rule: escalate"
    assert body["data"]["ticket"]["number"] == ticket.number


# -- https with the address pinned: SNI and the certificate check use the name -------------------------------------
def _certificate(tmp_path, name: str):
    """A self-signed certificate for `name` (its own CA), as files for ssl."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.mark.parametrize(("cert_name", "delivered"), [("hooks.test", True), ("other.test", False)])
def test_https_goes_to_the_checked_address_with_the_name_for_sni_and_certificate(
    receiver, settings, fake_dns, monkeypatch, tmp_path, admin, cert_name, delivered
):
    import ssl

    import httpx

    from supportloop.automation import webhook_http

    cert_file, key_file = _certificate(tmp_path, cert_name)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    seen_sni: list[str | None] = []
    server_context.sni_callback = lambda sock, server_name, ctx: seen_sni.append(server_name)
    receiver.server.socket = server_context.wrap_socket(receiver.server.socket, server_side=True)

    client_context = ssl.create_default_context(cafile=str(cert_file))  # trust this test's certificate only
    real_client = httpx.Client
    monkeypatch.setattr(webhook_http.httpx, "Client", lambda **kw: real_client(verify=client_context, **kw))
    settings.SUPPORTLOOP_WEBHOOK_ALLOWED_HOSTS = ["hooks.test"]
    fake_dns.table["hooks.test"] = ["127.0.0.1"]

    result = webhook_http.webhook_post(f"https://hooks.test:{receiver.port}/tls", body=b"{}", headers={})
    assert seen_sni == ["hooks.test"]  # the name, though the connection went to 127.0.0.1
    if delivered:
        assert result.status_code == 200, result
        assert receiver.requests[0]["headers"]["Host"] == f"hooks.test:{receiver.port}"
    else:  # a certificate for another name is refused: the check is against the name, not the address
        assert result.status_code is None and receiver.requests == []
        assert "CERTIFICATE_VERIFY_FAILED" in result.error or "certificate" in result.error.lower(), result.error


def test_the_writing_request_queues_one_fan_out_job_and_creates_no_delivery_itself(
    receiver, admin, make_ticket, settings, django_assert_max_num_queries
):
    from supportloop.automation.services.webhooks import webhooks_on_ticket_event
    from supportloop.tickets.hooks import TicketEvent

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    default_task_backend.clear()
    ticket = make_ticket()
    event = TicketEvent(kind="updated", ticket_id=ticket.pk, changes={"priority": ["normal", "high"]})

    webhooks_on_ticket_event(event)  # builds this process's copy of the subscriptions
    with django_assert_max_num_queries(1):  # nobody listens: the subscriptions' version only
        webhooks_on_ticket_event(event)
    assert default_task_backend.results == []

    for n in range(3):
        webhook_endpoint_create(url=receiver.url(f"/n{n}"), event_types=["ticket.updated"], actor=admin)
    webhooks_on_ticket_event(event)
    assert WebhookDelivery.objects.count() == 0  # none made in the request
    [queued] = default_task_backend.results
    assert queued.task.name == "webhooks_fan_out"
    assert queued.kwargs["ticket_id"] == ticket.pk and queued.kwargs["changes"] == {"priority": ["normal", "high"]}


def test_the_fan_out_job_makes_one_delivery_per_subscribed_enabled_endpoint(receiver, admin, make_ticket):
    from supportloop.automation.services.webhooks import webhooks_fan_out
    from supportloop.tickets.hooks import TicketEvent

    ticket = make_ticket()
    subscribed = webhook_endpoint_create(url=receiver.url("/a"), event_types=["ticket.updated"], actor=admin)
    webhook_endpoint_create(url=receiver.url("/b"), event_types=["ticket.created"], actor=admin)
    disabled = webhook_endpoint_create(url=receiver.url("/c"), event_types=["ticket.updated"], actor=admin)
    webhook_endpoint_update(endpoint=disabled, actor=admin, enabled=False)

    made = webhooks_fan_out(event=TicketEvent(kind="updated", ticket_id=ticket.pk), occurred_at="2026-12-06T05:00:00")

    assert made == 1
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.endpoint_id == subscribed.pk and delivery.payload["data"]["occurred_at"] == "2026-12-06T05:00:00"
    assert delivery.payload["data"]["ticket"]["number"] == ticket.number


def test_disabling_the_only_subscribed_endpoint_stops_the_listener_queueing(receiver, admin, make_ticket, settings):
    from django_tasks import default_task_backend

    from supportloop.automation.services.webhooks import webhooks_on_ticket_event
    from supportloop.tickets.hooks import TicketEvent

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    ticket = make_ticket()
    endpoint = webhook_endpoint_create(url=receiver.url("/a"), event_types=["ticket.updated"], actor=admin)
    webhooks_on_ticket_event(TicketEvent(kind="updated", ticket_id=ticket.pk))
    assert len(default_task_backend.results) == 1

    webhook_endpoint_update(endpoint=endpoint, actor=admin, enabled=False)
    webhooks_on_ticket_event(TicketEvent(kind="updated", ticket_id=ticket.pk))
    assert len(default_task_backend.results) == 1  # the cached subscriptions saw the version move
