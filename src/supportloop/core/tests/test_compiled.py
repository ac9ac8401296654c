"""core.compiled: a statement compiled for one call's values must read each later call's own rows."""

from supportloop.core.compiled import compiled_one_or_none
from supportloop.core.models import Counter


def test_each_call_reads_its_own_row_by_text_and_by_number(db):
    first = Counter.objects.create(name="compiled-a", value=1)
    second = Counter.objects.create(name="compiled-b", value=2)

    def by_name(ids):
        return Counter.objects.filter(name=ids["name"])

    def by_id(ids):
        return Counter.objects.filter(pk=ids["id"])

    shape = ("test: counter by name",)
    assert compiled_one_or_none(shape, by_name, {"name": "compiled-a"}) == first
    assert compiled_one_or_none(shape, by_name, {"name": "compiled-b"}) == second
    assert compiled_one_or_none(shape, by_name, {"name": "nothing"}) is None
    assert compiled_one_or_none(("test: counter by id",), by_id, {"id": second.pk}).value == 2
    assert compiled_one_or_none(("test: counter by id",), by_id, {"id": first.pk}).value == 1
