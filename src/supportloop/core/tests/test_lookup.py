import pytest

from supportloop.core.errors import NotFound, ValidationFailed
from supportloop.core.lookup import object_or_404, reference_or_422, references_or_422
from supportloop.customers.models import Company

pytestmark = pytest.mark.django_db


@pytest.fixture
def companies():
    return [Company.objects.create(name=name) for name in ("Acme", "Globex")]


def test_object_or_404_finds_inside_scope_and_misses_outside(companies):
    acme, globex = companies
    assert object_or_404(Company.objects.all(), pk=acme.pk) == acme
    with pytest.raises(NotFound):
        object_or_404(Company.objects.exclude(pk=globex.pk), pk=globex.pk)


@pytest.mark.parametrize("raw", ["abc", "", None, "1; DROP TABLE"])
def test_malformed_ids_are_misses_not_server_errors(companies, raw):
    with pytest.raises(NotFound):
        object_or_404(Company.objects.all(), pk=raw)
    with pytest.raises(ValidationFailed) as refused:
        reference_or_422(Company.objects.all(), "company_id", raw)
    assert refused.value.status == 422
    assert "company_id" in refused.value.errors


def test_references_keep_order_and_name_every_missing_value(companies):
    acme, globex = companies
    assert references_or_422(Company.objects.all(), "ids", [globex.pk, acme.pk, globex.pk]) == [globex, acme]
    with pytest.raises(ValidationFailed) as refused:
        references_or_422(Company.objects.all(), "ids", [acme.pk, 999_998, 999_999])
    assert "999998" in refused.value.errors["ids"] and "999999" in refused.value.errors["ids"]
