"""Role matrix rows of the privacy API: admins only. Erasing and lifting use a fresh contact (or company) per call."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case, World


def _contact(w: World, *, held: bool = False):
    from supportloop.customers.services import contact_create
    from supportloop.privacy.services import legal_hold_set

    contact = contact_create(name=f"Pia Privacy {w.n()}", emails=[f"pia{w.n()}@people.example"], actor=w.admin)
    if held:
        legal_hold_set(contact=contact, reason="Case 1", actor=w.admin)
    return contact


def _company(w: World, *, held: bool = False):
    from supportloop.customers.services import company_create
    from supportloop.privacy.services import legal_hold_set

    company = company_create(name=f"Held {w.n()}", domains=[f"held{w.n()}.example"], actor=w.admin)
    if held:
        legal_hold_set(company=company, reason="Case 2", actor=w.admin)
    return company


P = "/api/v1/privacy"
CASES = {
    ("GET", f"{P}/contacts/{{contact_id}}/export"): Case(
        "privacy.manage", lambda w: f"privacy/contacts/{w.contact.pk}/export"
    ),
    ("POST", f"{P}/contacts/{{contact_id}}/erase"): Case(
        "privacy.manage", lambda w: f"privacy/contacts/{_contact(w).pk}/erase", body=lambda w: {"confirm": "ERASE"}
    ),
    ("GET", f"{P}/contacts/{{contact_id}}/legal-hold"): Case(
        "privacy.manage", lambda w: f"privacy/contacts/{_contact(w, held=True).pk}/legal-hold"
    ),
    ("PUT", f"{P}/contacts/{{contact_id}}/legal-hold"): Case(
        "privacy.manage", lambda w: f"privacy/contacts/{w.contact.pk}/legal-hold", body=lambda w: {"reason": "Case"}
    ),
    ("DELETE", f"{P}/contacts/{{contact_id}}/legal-hold"): Case(
        "privacy.manage", lambda w: f"privacy/contacts/{_contact(w, held=True).pk}/legal-hold", status=204
    ),
    ("PUT", f"{P}/companies/{{company_id}}/legal-hold"): Case(
        "privacy.manage", lambda w: f"privacy/companies/{w.company.pk}/legal-hold", body=lambda w: {"reason": "Case"}
    ),
    ("DELETE", f"{P}/companies/{{company_id}}/legal-hold"): Case(
        "privacy.manage", lambda w: f"privacy/companies/{_company(w, held=True).pk}/legal-hold", status=204
    ),
    ("GET", f"{P}/retention"): Case("privacy.manage", lambda w: "privacy/retention"),
    ("PATCH", f"{P}/retention"): Case("privacy.manage", lambda w: "privacy/retention", body=lambda w: {"days": 400}),
}
