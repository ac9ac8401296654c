"""Seeding hook: ~40 feedback items across the taxonomy, with evidence from the seeded tickets and contacts.

Called by `supportloop seed` after the tickets exist (`seed(rng=..., size=...)`). Writes through the feedback
services so rollups, history and audit events are real; deterministic for a given rng. Makes the ranking
meaningful on first open: skewed demand (a few items heard from many customers), bugs with full structured
reports, planned / in-progress / shipped / declined items, and a merged duplicate.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.customers.models import Contact
from supportloop.feedback.models import FeedbackItem, PickListOption
from supportloop.feedback.services import (
    bug_report_file,
    engineering_link_add,
    evidence_add,
    feedback_item_create,
    feedback_item_merge,
    feedback_item_set_status,
)
from supportloop.tickets.models import Message, ProductFeature, Ticket

# (title, kind, (area, feature), problem, proposed solution, status, public)
CATALOGUE = [
    (
        "SAML SSO with Okta and Azure AD",
        "feature_request",
        ("Account & access", "Login & SSO"),
        "As an IT admin I need everyone to sign in through our identity provider so that leavers lose access at once.",
        "SAML 2.0 with just-in-time provisioning.",
        "in_progress",
        True,
    ),
    (
        "Enforce 2FA for the whole workspace",
        "feature_request",
        ("Account & access", "Two-factor authentication"),
        "As a security officer I need to require two-factor sign-in for every member so that we pass our audit.",
        "",
        "planned",
        True,
    ),
    (
        "Self-service 2FA recovery with backup codes",
        "improvement",
        ("Account & access", "Two-factor authentication"),
        "As a user who lost my phone I need to get back in without waiting for support so that I can keep working.",
        "Backup codes and an admin reset.",
        "shipped",
        True,
    ),
    (
        "Bulk invite users from a CSV",
        "feature_request",
        ("Account & access", "User management"),
        "As an admin onboarding a team I need to invite dozens of people at once so that setup takes minutes.",
        "",
        "under_review",
        False,
    ),
    (
        "Custom roles with granular permissions",
        "feature_request",
        ("Account & access", "User management"),
        "As an admin I need to give contractors read-only access to some projects so that they see only their work.",
        "",
        "new",
        False,
    ),
    (
        "Show VAT number and PO reference on invoices",
        "improvement",
        ("Billing", "Invoices"),
        "As a finance clerk I need our VAT number and purchase order on every invoice so that our books reconcile.",
        "",
        "shipped",
        True,
    ),
    (
        "Download all invoices as one ZIP",
        "feature_request",
        ("Billing", "Invoices"),
        "As an accountant I need a year of invoices at once so that I can close the fiscal year.",
        "",
        "new",
        False,
    ),
    (
        "Pay by SEPA direct debit",
        "feature_request",
        ("Billing", "Payment methods"),
        "As a European customer I need to pay by direct debit so that card limits never interrupt our service.",
        "",
        "planned",
        True,
    ),
    (
        "Pay annual plans by bank transfer",
        "feature_request",
        ("Billing", "Payment methods"),
        "As a procurement officer I need to pay annually by invoice and bank transfer so that it fits our process.",
        "",
        "under_review",
        False,
    ),
    (
        "Prorated upgrades mid-cycle",
        "improvement",
        ("Billing", "Plans & upgrades"),
        "As a growing team I need upgrades charged only for the remaining days so that I don't pay twice.",
        "",
        "declined",
        False,
    ),
    (
        "Pause a subscription instead of cancelling",
        "feature_request",
        ("Billing", "Plans & upgrades"),
        "As a seasonal business I need to pause for the quiet months so that I don't lose my data and setup.",
        "",
        "new",
        False,
    ),
    (
        "Refund status visible in billing settings",
        "improvement",
        ("Billing", "Refunds"),
        "As a customer waiting for a refund I need to see where it is so that I don't have to write to support.",
        "",
        "new",
        False,
    ),
    (
        "Dashboards load slowly with many widgets",
        "improvement",
        ("Reports", "Dashboards"),
        "As a manager I need my dashboard to open in seconds so that I can use it in the morning meeting.",
        "",
        "in_progress",
        True,
    ),
    (
        "Share a dashboard with a public read-only link",
        "feature_request",
        ("Reports", "Dashboards"),
        "As a team lead I need to show a dashboard to people without an account so that stakeholders stay informed.",
        "",
        "new",
        False,
    ),
    (
        "Export reports to Excel (XLSX)",
        "feature_request",
        ("Reports", "CSV export"),
        "As an analyst I need exports that open correctly in Excel so that I can work with the numbers right away.",
        "Native XLSX export with types and UTF-8.",
        "planned",
        True,
    ),
    (
        "CSV export breaks non-Latin characters",
        "improvement",
        ("Reports", "CSV export"),
        "As a user in China or Russia I need exports that keep my language's characters so that the file is readable.",
        "",
        "shipped",
        True,
    ),
    (
        "Schedule reports to several recipients",
        "feature_request",
        ("Reports", "Scheduled reports"),
        "As a manager I need the weekly report to go to my whole team so that everyone sees the same numbers.",
        "",
        "under_review",
        False,
    ),
    (
        "Scheduled reports in the recipient's time zone",
        "improvement",
        ("Reports", "Scheduled reports"),
        "As a team spread over continents I need reports sent at local morning time so that they are read.",
        "",
        "new",
        False,
    ),
    (
        "Post to private Slack channels",
        "feature_request",
        ("Integrations", "Slack"),
        "As a team using private channels I need notifications there so that sensitive updates stay private.",
        "",
        "planned",
        False,
    ),
    (
        "Two-way Salesforce sync of accounts",
        "feature_request",
        ("Integrations", "Salesforce"),
        "As a sales ops lead I need account changes to flow both ways so that nobody copies data by hand.",
        "",
        "under_review",
        False,
    ),
    (
        "Webhook retries and delivery log",
        "improvement",
        ("Integrations", "API & webhooks"),
        "As a developer I need to see failed webhook deliveries and retry them so that no event is lost.",
        "",
        "in_progress",
        True,
    ),
    (
        "Higher API rate limits for enterprise plans",
        "feature_request",
        ("Integrations", "API & webhooks"),
        "As an integrator syncing large accounts I need more requests per minute so that nightly syncs finish.",
        "",
        "new",
        False,
    ),
    (
        "Offline mode in the mobile app",
        "feature_request",
        ("Mobile app", "iOS app"),
        "As a field worker without signal I need to read and edit records offline so that I can work on site.",
        "",
        "under_review",
        True,
    ),
    (
        "Dark mode in the mobile apps",
        "feature_request",
        ("Mobile app", "Android app"),
        "As someone working night shifts I need a dark theme so that the app doesn't blind me.",
        "",
        "new",
        False,
    ),
    (
        "Quiet hours for push notifications",
        "improvement",
        ("Mobile app", "Notifications"),
        "As a user I need notifications to stay silent at night so that work doesn't wake me up.",
        "",
        "shipped",
        True,
    ),
    (
        "Import CSV with column mapping",
        "improvement",
        ("Data import", "CSV import"),
        "As an admin migrating from a spreadsheet I need to map my columns so that the import doesn't fail.",
        "",
        "planned",
        True,
    ),
    (
        "Two-way Google Calendar sync",
        "feature_request",
        ("Data import", "Calendar sync"),
        "As a user I need events changed in Google Calendar to update here so that I keep one calendar.",
        "",
        "new",
        False,
    ),
    (
        "Outlook / Microsoft 365 calendar sync",
        "feature_request",
        ("Data import", "Calendar sync"),
        "As a company on Microsoft 365 I need calendar sync with Outlook so that we can use the product at all.",
        "",
        "under_review",
        False,
    ),
    (
        "Audit log export for compliance",
        "feature_request",
        ("Account & access", "User management"),
        "As a compliance officer I need to export who did what so that I can answer auditors.",
        "",
        "new",
        False,
    ),
    (
        "Multi-currency invoices",
        "feature_request",
        ("Billing", "Invoices"),
        "As a company billed in euros I need invoices in my currency so that I avoid conversion fees.",
        "",
        "new",
        False,
    ),
    (
        "Google Calendar sync (duplicate)",
        "feature_request",
        ("Data import", "Calendar sync"),
        "As a user I need my Google events here.",
        "",
        "new",
        False,
    ),
]

BUGS = [
    (
        "SSO login loops back to the sign-in page",
        ("Account & access", "Login & SSO"),
        "critical",
        "always",
        "1. Sign in with Okta\n2. Approve on the IdP\n3. Observe the redirect",
        "The dashboard opens",
        "The sign-in page opens again, endlessly",
        "Chrome",
        "Windows",
        "Desktop",
    ),
    (
        "Authenticator codes rejected after phone change",
        ("Account & access", "Two-factor authentication"),
        "major",
        "often",
        "1. Move the authenticator to a new phone\n2. Enter a fresh code",
        "The code is accepted",
        '"Invalid code" every time',
        "Mobile app",
        "iOS",
        "Phone",
    ),
    (
        "Invoice PDF shows the old company address",
        ("Billing", "Invoices"),
        "minor",
        "always",
        "1. Change the billing address\n2. Download the next invoice",
        "The new address on the PDF",
        "The old address is printed",
        "Firefox",
        "macOS",
        "Laptop",
    ),
    (
        "Dashboard widgets show 'No data' after midnight UTC",
        ("Reports", "Dashboards"),
        "major",
        "sometimes",
        "1. Open a dashboard between 00:00 and 01:00 UTC",
        "Yesterday's figures",
        "Every widget says 'No data'",
        "Edge",
        "Windows",
        "Desktop",
    ),
    (
        "Android app crashes when opening a notification",
        ("Mobile app", "Android app"),
        "critical",
        "often",
        "1. Receive a push notification\n2. Tap it",
        "The record opens",
        "The app closes immediately",
        "Mobile app",
        "Android",
        "Phone",
    ),
    (
        "CSV import stops at rows with quotes",
        ("Data import", "CSV import"),
        "major",
        "always",
        "1. Import a CSV whose cells contain double quotes",
        "All rows imported",
        "Import stops with 'unexpected end of data'",
        "Safari",
        "macOS",
        "Laptop",
    ),
]

RELEASE_NOTES = {
    "Self-service 2FA recovery with backup codes": "You can now download backup codes under Profile › Security, and "
    "admins can reset two-factor sign-in for a member.",
    "Show VAT number and PO reference on invoices": "Invoices now show your VAT number and an optional purchase "
    "order reference (Billing › Invoice details).",
    "CSV export breaks non-Latin characters": "CSV exports are now UTF-8 with a byte-order mark, so Excel opens "
    "Chinese, Cyrillic and other scripts correctly.",
    "Quiet hours for push notifications": "Set quiet hours in the mobile app under Settings › Notifications.",
}
DECLINE_REASONS = {
    "Prorated upgrades mid-cycle": "Upgrades already start a new billing period with a credit for unused days; "
    "we will explain this better on the upgrade page instead.",
}
SOURCES = ["Sales call", "NPS survey comment", "Customer advisory board", "Webinar Q&A", "Account review"]
LINKS = {
    "SAML SSO with Okta and Azure AD": ("https://linear.app/acme/issue/ID-142", "ID-142"),
    "Dashboards load slowly with many widgets": ("https://acme.atlassian.net/browse/REP-311", "REP-311"),
    "Webhook retries and delivery log": ("https://github.com/acme/platform/issues/1873", "platform#1873"),
    "Export reports to Excel (XLSX)": ("https://acme.atlassian.net/browse/REP-298", "REP-298"),
}


def _feature(area: str, name: str, fallback: list[ProductFeature], index: int) -> ProductFeature | None:
    found = ProductFeature.objects.filter(area__name=area, name=name).first()
    if found is not None:
        return found
    return fallback[index % len(fallback)] if fallback else None


def _first_customer_message(ticket_id: int) -> Message | None:
    return Message.objects.filter(ticket_id=ticket_id, author_type="contact").order_by("created_at", "id").first()


def _demand(rng: random.Random, rank: int) -> int:
    """Skewed demand: the first items of a shuffled order are heard much more often (Zipf-like)."""
    return max(1, round(30 / (1 + rank * 0.6) * rng.uniform(0.7, 1.3)))


def seed(*, rng: random.Random, size: int) -> None:
    if FeedbackItem.objects.exists():
        return
    pm = User.objects.filter(role=Role.PRODUCT, is_active=True).order_by("pk").first()
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    agents: list[User | None] = [*User.objects.filter(role=Role.AGENT, is_active=True).order_by("pk")] or [admin or pm]
    owner_actor = pm or admin
    if owner_actor is None:
        return
    features = list(ProductFeature.objects.filter(is_active=True).order_by("pk"))
    contacts = list(Contact.objects.order_by("pk").values_list("pk", flat=True)[:5000])
    cap = 60 if size > 20_000 else 25
    ranks = list(range(len(CATALOGUE)))
    rng.shuffle(ranks)
    items: dict[str, FeedbackItem] = {}
    with transaction.atomic():
        for index, (title, kind, (area, fname), problem, solution, _status, public) in enumerate(CATALOGUE):
            feature = _feature(area, fname, features, index)
            item = feedback_item_create(
                kind=kind,
                title=title,
                problem=problem,
                proposed_solution=solution,
                product_feature=feature,
                owner=pm,
                is_public=public,
                # The catalogue's problem statements name no customer, so the demo's public board can show them.
                public_description=problem if public else "",
                actor=owner_actor,
            )
            items[title] = item
            _link_evidence(rng, item, feature, min(cap, _demand(rng, ranks[index])), agents, contacts)
        for index, (
            title,
            (area, fname),
            severity,
            frequency,
            steps,
            expected,
            actual,
            browser,
            os_name,
            device,
        ) in enumerate(BUGS):
            feature = _feature(area, fname, features, index)
            ticket_ids = _ticket_ids(feature)
            ticket = Ticket.objects.get(pk=rng.choice(ticket_ids)) if ticket_ids else None
            versions = list(
                PickListOption.objects.filter(field="version", is_active=True).values_list("value", flat=True)
            ) or [""]
            version = rng.choice(versions)
            plan = ticket.company.plan if ticket is not None and ticket.company else "pro"
            bug = bug_report_file(
                actor=rng.choice(agents),
                ticket=ticket,
                title=title,
                product_feature=feature,
                version=version,
                environment_browser=browser,
                environment_os=os_name,
                environment_device=device,
                environment_plan=plan,
                severity=severity,
                frequency=frequency,
                steps=steps,
                expected=expected,
                actual=actual,
                owner=pm,
                importance="blocker" if severity == "critical" else "important",
            )
            items[title] = bug
            _link_evidence(rng, bug, feature, rng.randint(1, 8), agents, contacts, skip_ticket=ticket)
        for title, (url, key) in LINKS.items():
            engineering_link_add(item=items[title], url=url, key=key, actor=owner_actor)
        for title, item in items.items():
            status = next((c[5] for c in CATALOGUE if c[0] == title), None)
            if status is None or status == "new":
                continue
            if status in ("planned", "in_progress", "shipped"):
                feedback_item_set_status(item=item, status="under_review", actor=owner_actor, note="Triage")
            if status in ("in_progress", "shipped"):
                feedback_item_set_status(item=item, status="planned", actor=owner_actor, note="On the roadmap")
            # Seeding never mails customers: no worker or mail server may be running.
            feedback_item_set_status(
                item=item,
                status=status,
                actor=owner_actor,
                notify=False,
                release_note=RELEASE_NOTES.get(title),
                decline_reason=DECLINE_REASONS.get(title),
            )
        feedback_item_merge(
            source=items["Google Calendar sync (duplicate)"],
            target=items["Two-way Google Calendar sync"],
            actor=owner_actor,
            note="Same request, filed twice",
        )


def _ticket_ids(feature: ProductFeature | None) -> list[int]:
    """Tickets about the feature; else about its area; else any (a small workspace may lack some topics)."""
    tickets = Ticket.objects.order_by("pk").values_list("pk", flat=True)
    if feature is not None:
        for scoped in (tickets.filter(product_feature=feature), tickets.filter(product_area_id=feature.area_id)):
            ids = list(scoped[:400])
            if len(ids) >= 3:
                return ids
    return list(tickets[:400])


def _link_evidence(
    rng: random.Random,
    item: FeedbackItem,
    feature,
    count: int,
    agents: list,
    contacts: list[int],
    skip_ticket: Ticket | None = None,
) -> None:
    ticket_ids = [t for t in _ticket_ids(feature) if skip_ticket is None or t != skip_ticket.pk]
    chosen = rng.sample(ticket_ids, min(count, len(ticket_ids)))
    importance_weights = (("nice_to_have", 3), ("important", 5), ("blocker", 1))
    for ticket_id in chosen:
        message = _first_customer_message(ticket_id)
        importance = rng.choices([i for i, _ in importance_weights], [w for _, w in importance_weights])[0]
        if message is not None:
            evidence_add(item=item, actor=rng.choice(agents), message=message, importance=importance)
        else:
            evidence_add(
                item=item, actor=rng.choice(agents), ticket=Ticket.objects.get(pk=ticket_id), importance=importance
            )
    # A few voices from outside support (a sales call, a survey), and a repeat mention by a known contact.
    for _ in range(rng.randint(0, max(1, count // 5))):
        if not contacts:
            break
        contact = Contact.objects.select_related("company").get(pk=rng.choice(contacts))
        evidence_add(
            item=item,
            actor=rng.choice(agents),
            contact=contact,
            source=rng.choice(SOURCES),
            importance=rng.choice(["important", "blocker"]),
            heard_at=timezone.now() - timedelta(days=rng.uniform(0, 90)),
            quote=rng.choice(
                [
                    "We would buy more seats if this existed.",
                    "This comes up in every quarterly review.",
                    "Our team works around this with spreadsheets today.",
                    "It's the main reason we are evaluating alternatives.",
                ]
            ),
        )
