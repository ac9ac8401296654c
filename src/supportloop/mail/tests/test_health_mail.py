"""Readiness checks of the mail app (last successful poll per active IMAP mailbox, quarantine volume) and the
quarantine count in the admin header."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from supportloop.mail.models import Mailbox, Quarantine
from supportloop.mail.services import inbound_ingest

pytestmark = pytest.mark.django_db


def _garbage(n: int) -> bytes:
    return b"\xff\xfe garbage without headers %d" % n  # unparseable: quarantined (each one different)


def _ready():
    response = Client().get("/health/ready")
    return response.status_code, response.json()


def test_a_mailbox_without_a_recent_successful_poll_fails_readiness(settings, fake_dns, mailbox):
    from supportloop.mail.services import mailbox_update

    settings.SUPPORTLOOP_HEALTH_POLL_MAX_AGE_SECONDS = 900
    assert _ready()[1]["checks"]["mail_poll"] == "skipped"  # webhook-only mailbox: nothing polls it
    fake_dns.table["imap.example.test"] = ["93.184.215.14"]
    mailbox_update(mailbox=mailbox, imap_host="imap.example.test")
    status, body = _ready()
    assert status == 200 and body["checks"]["mail_poll"] == "ok"  # just added: within its grace period
    Mailbox.objects.filter(pk=mailbox.pk).update(created_at=timezone.now() - timedelta(hours=1))
    status, body = _ready()
    assert status == 503 and body["failed"] == ["mail_poll"]  # never polled in an hour
    # Failing polls do not count as success, even though the poller ran.
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_poll_error="timeout")
    assert _ready()[0] == 503
    Mailbox.objects.filter(pk=mailbox.pk).update(last_poll_ok_at=timezone.now() - timedelta(minutes=5))
    assert _ready()[0] == 200
    Mailbox.objects.filter(pk=mailbox.pk).update(is_active=False, last_poll_ok_at=timezone.now() - timedelta(days=2))
    assert _ready()[1]["checks"]["mail_poll"] == "skipped"  # an inactive mailbox is not expected to poll


@pytest.mark.mailserver
def test_a_successful_poll_is_recorded(imap_mailbox):
    from supportloop.mail.imap import mailbox_poll

    before = timezone.now()
    mailbox_poll(imap_mailbox)
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_poll_ok_at is not None and imap_mailbox.last_poll_ok_at >= before


def test_quarantine_volume_over_the_limit_fails_readiness(settings, mailbox):
    settings.SUPPORTLOOP_HEALTH_QUARANTINE_MAX_24H = 2
    for n in range(3):
        inbound_ingest(raw=_garbage(n), mailbox=mailbox)
    Quarantine.objects.filter(pk=Quarantine.objects.order_by("id").first().pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )  # outside the 24 hours
    assert _ready()[1]["checks"]["quarantine"] == "ok"
    inbound_ingest(raw=_garbage(3), mailbox=mailbox)
    status, body = _ready()
    assert status == 503 and body["failed"] == ["quarantine"] and "details" not in body
    settings.SUPPORTLOOP_HEALTH_QUARANTINE_MAX_24H = 0  # no limit
    assert _ready()[0] == 200


def test_the_admin_header_shows_the_quarantine_count_of_the_last_24_hours(make_user, mailbox):
    for n in range(2):
        inbound_ingest(raw=_garbage(n), mailbox=mailbox)
    Quarantine.objects.create(
        reason="unparseable", source="raw", raw=b"", created_at=timezone.now() - timedelta(days=2)
    )
    admin = make_user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/").content.decode()
    assert 'id="quarantine-recent"' in page and "Quarantined mail, last 24 h: 2" in page
    assert "/admin/mail/quarantine/?created_at__gte=" in page
    # Staff without the permission to view the quarantine do not see it; the login page does not either.
    clerk = make_user("agent")
    clerk.is_staff = True
    clerk.save()
    other = Client()
    other.force_login(clerk)
    assert 'id="quarantine-recent"' not in other.get("/admin/").content.decode()
    assert 'id="quarantine-recent"' not in Client().get("/admin/login/").content.decode()
