"""Bug reports: pick-lists, required narrative fields, errors that name the field, attachments carried over."""

from __future__ import annotations

import pytest

from supportloop.core.errors import ValidationFailed
from supportloop.feedback import selectors
from supportloop.feedback.models import BugReport, Evidence, PickListOption
from supportloop.feedback.services import bug_report_file, bug_report_update
from supportloop.tickets.services import attachment_add
from supportloop.tickets.services.tickets import IncomingFile

GOOD = dict(
    version="2.5",
    environment_browser="Firefox",
    environment_os="Linux",
    environment_device="Laptop",
    environment_plan="pro",
    severity="major",
    frequency="always",
    steps="1. Open Reports\n2. Click Export",
    expected="An .xlsx file downloads",
    actual="A blank page",
)


def test_missing_fields_are_all_named(db, agent, feature):
    with pytest.raises(ValidationFailed) as exc:
        bug_report_file(
            actor=agent,
            title="Export fails",
            product_feature=feature,
            **{**GOOD, "steps": "  ", "expected": "", "actual": "", "severity": ""},
        )
    errors = exc.value.errors
    # The expected result may stay empty (the customer's message seldom states it); the others may not.
    assert set(errors) == {"steps", "actual", "severity"}
    assert errors["steps"] == "required: the steps to reproduce"
    assert "steps" in exc.value.detail and "actual" in exc.value.detail
    assert not BugReport.objects.exists()


def test_values_must_come_from_the_pick_lists(db, agent, feature):
    with pytest.raises(ValidationFailed) as exc:
        bug_report_file(
            actor=agent,
            title="Export fails",
            product_feature=None,
            **{**GOOD, "environment_browser": "Netscape", "environment_plan": "gold", "frequency": "x"},
        )
    assert set(exc.value.errors) == {"environment_browser", "environment_plan", "frequency", "product_feature"}
    assert "Firefox" in exc.value.errors["environment_browser"]
    # An admin adds an option: it becomes valid; a retired option does not.
    PickListOption.objects.create(field="environment_browser", value="Netscape")
    PickListOption.objects.filter(field="environment_os", value="Linux").update(is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        bug_report_file(
            actor=agent, title="Export fails", product_feature=feature, **{**GOOD, "environment_browser": "Netscape"}
        )
    assert set(exc.value.errors) == {"environment_os"}


def test_unknown_environment_and_no_expected_result_are_accepted(db, agent, feature):
    """A bug filed from a ticket seldom knows the version or environment, nor what the customer expected."""
    PickListOption.objects.all().delete()  # even with no option configured at all
    unknown = dict.fromkeys(("version", "environment_browser", "environment_os", "environment_device"), "Unknown")
    item = bug_report_file(
        actor=agent, title="Export fails", product_feature=feature, **{**GOOD, **unknown, "expected": ""}
    )
    bug = BugReport.objects.get(item=item)
    assert (bug.version, bug.environment_browser, bug.expected, bug.actual) == (
        "Unknown",
        "Unknown",
        "",
        "A blank page",
    )


def test_bug_from_a_ticket_counts_the_customer_and_carries_attachments(
    db, agent, feature, company, contact, ticket_for
):
    acme = company("Acme", "enterprise", 2000)
    ann = contact("Ann", acme)
    ticket = ticket_for(ann, body="Export gives a blank page")
    other = ticket_for(contact("Bo", acme))
    message = ticket.messages.first()
    [shot] = attachment_add(message=message, files=[IncomingFile("shot.png", b"\x89PNG", "image/png")])
    [foreign] = attachment_add(message=other.messages.first(), files=[IncomingFile("x.txt", b"x")])
    with pytest.raises(ValidationFailed) as exc:
        bug_report_file(
            actor=agent,
            ticket=ticket,
            title="Export blank",
            product_feature=feature,
            carry_attachment_ids=[shot.pk, foreign.pk],
            **GOOD,
        )
    assert str(foreign.pk) in exc.value.errors["carry_attachment_ids"]
    item = bug_report_file(
        actor=agent,
        ticket=ticket,
        title="Export blank",
        product_feature=feature,
        carry_attachment_ids=[shot.pk],
        importance="blocker",
        **GOOD,
    )
    assert item.kind == "bug" and item.product_area_id == feature.area_id
    report = item.bug_report
    assert list(report.attachments.all()) == [shot]
    assert report.ticket == ticket and report.steps.startswith("1. Open")
    ev = Evidence.objects.get(item=item)
    assert (ev.contact, ev.company, ev.message, ev.importance) == (ann, acme, message, "blocker")
    assert ev.quote == "Export gives a blank page"
    stats = selectors.feedback_item_stats(item=item)
    assert (stats["unique_contacts"], stats["mrr"], stats["blocker_contacts"]) == (1, 2000, 1)
    assert selectors.feedback_items_for_ticket(ticket=ticket) == [item]


def test_update_validates_the_fields_given(db, agent, feature):
    item = bug_report_file(actor=agent, title="Export blank", product_feature=feature, **GOOD)
    with pytest.raises(ValidationFailed) as exc:
        bug_report_update(item=item, actor=agent, actual="", severity="apocalyptic")
    assert set(exc.value.errors) == {"actual", "severity"}
    report = bug_report_update(item=item, actor=agent, severity="critical")
    assert report.severity == "critical"
