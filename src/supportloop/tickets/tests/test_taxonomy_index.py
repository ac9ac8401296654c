"""Tickets carry their taxonomy from a cached index instead of joins; it must never show a stale or missing entry."""

from supportloop.accounts.choices import Role
from supportloop.tickets.selectors import ticket_get
from supportloop.tickets.services import (
    contact_reason_create,
    product_area_create,
    product_area_update,
    product_feature_create,
)


def test_a_renamed_area_shows_after_commit(
    make_user, make_ticket, django_capture_on_commit_callbacks, django_assert_num_queries
):
    agent = make_user(Role.AGENT)
    area = product_area_create(name="Billing", slug="billing")
    feature = product_feature_create(area=area, name="Invoices")
    ticket = make_ticket(actor=agent, product_feature=feature)
    assert ticket_get(number=ticket.number).product_area.slug == "billing"  # warms the index
    with django_capture_on_commit_callbacks(execute=True):
        product_area_update(area=area, slug="payments", actor=agent)
    fresh = ticket_get(number=ticket.number)
    assert fresh.product_area.slug == "payments"
    assert fresh.product_feature.area.slug == "payments"
    with django_assert_num_queries(0):  # attached, not lazily loaded
        assert str(fresh.product_feature) == "Billing › Invoices"


def test_an_entry_the_cached_index_does_not_know_reloads_it(make_user, make_ticket):
    agent = make_user(Role.AGENT)
    ticket_get(number=make_ticket(actor=agent).number)
    # Created without running the commit hooks, as if another process wrote it: the cached index is stale.
    reason = contact_reason_create(name="Refund request")
    feature = product_feature_create(area=product_area_create(name="Mobile"), name="Push")
    ticket = make_ticket(actor=agent, product_feature=feature, contact_reason=reason)
    loaded = ticket_get(number=ticket.number)
    assert (loaded.contact_reason.name, loaded.product_feature.name, loaded.product_area.name) == (
        "Refund request",
        "Push",
        "Mobile",
    )


def test_tickets_without_taxonomy_have_none(make_user, make_ticket):
    agent = make_user(Role.AGENT)
    ticket = ticket_get(number=make_ticket(actor=agent).number)
    assert ticket.product_area is None and ticket.product_feature is None and ticket.contact_reason is None
