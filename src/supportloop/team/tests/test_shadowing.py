"""Shadowing: slots, sign-up (seats, not your own), debrief with findings, a finding filed as feedback evidence
(new or existing item), and the per-team report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.services import team_create
from supportloop.core.errors import Conflict, PermissionDenied, ValidationFailed
from supportloop.core.models import Event
from supportloop.feedback.models import Evidence
from supportloop.team import shadowing
from supportloop.team.models import ShadowFinding

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot(make_user):
    host = make_user(Role.AGENT)
    start = timezone.now() + timedelta(days=1)
    return shadowing.shadow_slot_create(
        host=host, starts_at=start, ends_at=start + timedelta(hours=2), seats=1, actor=host
    )


def test_only_support_roles_host_and_times_are_checked(make_user):
    viewer = make_user(Role.VIEWER)
    now = timezone.now()
    with pytest.raises(ValidationFailed):
        shadowing.shadow_slot_create(host=viewer, starts_at=now, ends_at=now + timedelta(hours=1), actor=viewer)
    agent = make_user(Role.AGENT)
    with pytest.raises(ValidationFailed):
        shadowing.shadow_slot_create(host=agent, starts_at=now, ends_at=now - timedelta(hours=1), actor=agent)


def test_signup_respects_seats_and_refuses_the_host_and_twice(slot, make_user):
    engineer, founder = make_user(Role.VIEWER), make_user(Role.PRODUCT)
    with pytest.raises(ValidationFailed):
        shadowing.shadow_signup(slot=slot, visitor=slot.host)
    shadowing.shadow_signup(slot=slot, visitor=engineer)
    with pytest.raises(Conflict):
        shadowing.shadow_signup(slot=slot, visitor=engineer)
    with pytest.raises(Conflict):  # one seat
        shadowing.shadow_signup(slot=slot, visitor=founder)
    assert Event.objects.filter(verb="team.shadow_signed_up").count() == 1


def test_debrief_findings_become_evidence_on_a_new_or_existing_item(slot, make_user):
    engineer, pm = make_user(Role.VIEWER), make_user(Role.PRODUCT)
    signup = shadowing.shadow_signup(slot=slot, visitor=engineer)
    with pytest.raises(PermissionDenied):
        shadowing.shadow_debrief(signup=signup, actor=pm, saw="x", findings=[])
    first, second = shadowing.shadow_debrief(
        signup=signup,
        actor=engineer,
        saw="Agents copy invoice numbers by hand.",
        findings=["Invoice search is slow", "", "No bulk refund"],
    )
    item = shadowing.shadow_finding_to_feedback(finding=first, actor=pm)
    assert item.title == "Invoice search is slow"
    evidence = Evidence.objects.get(item=item)
    assert evidence.quote == "Invoice search is slow" and evidence.source == shadowing.SOURCE
    again = shadowing.shadow_finding_to_feedback(finding=second, actor=pm, item=item)  # onto an existing item
    assert again == item and Evidence.objects.filter(item=item).count() == 2
    with pytest.raises(Conflict):
        shadowing.shadow_finding_to_feedback(finding=first, actor=pm)
    assert ShadowFinding.objects.filter(feedback_item=item).count() == 2


def test_report_counts_debriefed_sessions_per_team(slot, make_user):
    engineer = make_user(Role.VIEWER)
    team_create(name="Platform", slug="platform", members=[engineer], actor=None)
    signup = shadowing.shadow_signup(slot=slot, visitor=engineer)
    shadowing.shadow_debrief(signup=signup, actor=engineer, saw="Saw the queue.", findings=[])
    report = shadowing.shadow_report()
    assert report == [
        {"team": "Platform", "people": [{"name": str(engineer), "signups": 1, "debriefed": 1}], "sessions": 1}
    ]


def test_shadowing_page_two_clicks_from_finding_to_feedback(slot, make_user):
    engineer, pm = make_user(Role.VIEWER), make_user(Role.PRODUCT)
    client = Client()
    client.force_login(engineer)
    assert client.post(f"/team/shadowing/slots/{slot.pk}/signup/").status_code == 302
    signup = slot.signups.get()
    client.post(
        f"/team/shadowing/signups/{signup.pk}/debrief/",
        {"saw": "A busy Monday.", "findings": "Macros are hard to find"},
    )
    finding = ShadowFinding.objects.get()
    client.force_login(pm)
    page = client.get("/team/shadowing/").content.decode()
    assert "Macros are hard to find" in page and 'id="shadow-report"' in page
    assert client.post(f"/team/shadowing/findings/{finding.pk}/file/").status_code == 302  # the second click
    finding.refresh_from_db()
    assert finding.feedback_item is not None
    client.force_login(engineer)
    assert client.post(f"/team/shadowing/findings/{finding.pk}/file/").status_code == 403  # viewers file no feedback
