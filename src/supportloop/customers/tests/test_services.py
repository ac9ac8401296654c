from decimal import Decimal

import pytest

from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.models import Event
from supportloop.customers.models import Company, CompanyDomain, Contact, ContactEmail
from supportloop.customers.services import (
    company_create,
    company_for_email,
    company_update,
    contact_create,
    contact_get_or_create_by_email,
    contact_update,
    customer_note_add,
)


def test_contacts_join_the_company_that_owns_their_domain(db):
    acme = company_create(name="Acme", domains=["Acme.example", "@acme.test"])
    assert sorted(acme.domains.values_list("domain", flat=True)) == ["acme.example", "acme.test"]
    assert contact_create(emails=["Li@ACME.test"]).company == acme
    assert contact_create(emails=["x@sub.acme.example"]).company is None  # exact domains only
    assert contact_create(emails=["y@other.example"]).company is None


def test_public_mail_domains_never_identify_a_company(db):
    company_create(name="Google?", domains=["gmail.com"])  # even if someone registers it
    assert company_for_email("someone@gmail.com") is None
    assert contact_create(emails=["someone@GMAIL.com"]).company is None


def test_a_domain_or_email_belongs_to_one_owner(db):
    company_create(name="A", domains=["a.example"])
    b = company_create(name="B", domains=["b.example"])
    with pytest.raises(Conflict):
        company_create(name="C", domains=["A.example"])
    with pytest.raises(Conflict):
        company_update(company=b, domains=["b.example", "a.example"], name="B2")
    b.refresh_from_db()
    assert b.name == "B" and list(b.domains.values_list("domain", flat=True)) == ["b.example"]
    contact_create(emails=["li@a.example"])
    with pytest.raises(Conflict):
        contact_create(emails=["other@x.example", "LI@a.example"])
    assert Contact.objects.count() == 1 and ContactEmail.objects.count() == 1
    assert Company.objects.count() == 2 and CompanyDomain.objects.count() == 2


def test_get_or_create_by_email_matches_any_address_case_insensitively(db):
    li = contact_create(name="Li", emails=["li@a.example", "li.wei@gmail.com"])
    assert contact_get_or_create_by_email(email=" LI.WEI@gmail.com ") == (li, False)
    new, created = contact_get_or_create_by_email(email="new@a.example", name="")
    assert created and new.name == "new" and new.emails.get().email == "new@a.example"


def test_updates_record_before_and_after_and_move_the_change_sequence(db):
    acme = company_create(name="Acme", mrr="10")
    seq = acme.change_seq
    company_update(company=acme, mrr=Decimal("12.5"), plan="pro")
    event = Event.objects.filter(verb="company.updated").get()
    assert event.changes == {"mrr": ["10.00", "12.50"], "plan": ["free", "pro"]}
    assert acme.change_seq > seq
    company_update(company=acme, mrr=Decimal("12.50"))  # no change: no event
    assert Event.objects.filter(verb="company.updated").count() == 1
    li = contact_create(emails=["li@x.example"])
    contact_update(contact=li, emails=["li2@x.example", "li@x.example"], name="Li")
    assert Event.objects.filter(verb="contact.updated").get().changes == {
        "name": ["", "Li"],
        "emails": [["li@x.example"], ["li2@x.example", "li@x.example"]],
    }


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"name": "A", "mrr": "-1"}, "mrr"),
        ({"name": "A", "mrr": "NaN"}, "mrr"),
        ({"name": "A", "mrr": "1e12"}, "mrr"),
        ({"name": "A", "plan": "platinum"}, "plan"),
        ({"name": "  "}, "name"),
        ({"name": "A", "domains": ["nodot"]}, "domains"),
        ({"name": "A", "attributes": {"k": "\x00"}}, "attributes"),
    ],
)
def test_company_input_is_checked(db, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        company_create(**kwargs)
    assert field in exc.value.errors
    assert Company.objects.count() == 0 and Event.objects.count() == 0


def test_notes_need_a_subject_and_a_body(db):
    li = contact_create(emails=["li@x.example"])
    with pytest.raises(ValidationFailed):
        customer_note_add(body=" ", author=None, contact=li)
    with pytest.raises(ValidationFailed):
        customer_note_add(body="x", author=None)
    note = customer_note_add(body="VIP ⭐", author=None, contact=li)
    assert li.notes.get() == note and Event.objects.filter(verb="customer_note.added").count() == 1


def test_two_people_editing_different_fields_of_a_company_keep_both_edits(db):
    company = company_create(name="Acme", domains=["acme.example"])
    mine = Company.objects.get(pk=company.pk)
    theirs = Company.objects.get(pk=company.pk)  # loaded before my change, saved after it
    company_update(company=mine, plan="enterprise")
    company_update(company=theirs, name="Acme Inc.")
    company.refresh_from_db()
    assert (company.plan, company.name) == ("enterprise", "Acme Inc.")


def test_two_people_editing_different_fields_of_a_contact_keep_both_edits(db):
    contact = contact_create(name="Li", emails=["li@acme.example"])
    mine = Contact.objects.get(pk=contact.pk)
    theirs = Contact.objects.get(pk=contact.pk)
    contact_update(contact=mine, language="zh-hans")
    contact_update(contact=theirs, name="Li Wei")
    contact.refresh_from_db()
    assert (contact.language, contact.name) == ("zh-hans", "Li Wei")
