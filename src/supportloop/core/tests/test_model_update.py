"""model_update: the one way update services write a row (only the changed columns, unknown fields refused)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportloop.core.errors import ValidationFailed
from supportloop.core.models import ScheduledRun
from supportloop.core.services import model_update


def _updates(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]


def test_only_changed_fields_are_set_saved_and_returned(db):
    row = ScheduledRun.objects.create(job="a", period="1")
    with CaptureQueriesContext(connection) as ctx:
        changes = model_update(row, {"job": "a", "period": "2"}, allowed_fields=("job", "period"))
    assert changes == {"period": ["1", "2"]}
    [sql] = _updates(ctx)
    assert '"period"' in sql and '"job"' not in sql and '"created_at"' not in sql  # the unchanged column is not written
    row.refresh_from_db()
    assert row.period == "2"


def test_nothing_changed_writes_nothing_even_with_touch(db):
    row = ScheduledRun.objects.create(job="a", period="1")
    with CaptureQueriesContext(connection) as ctx:
        assert model_update(row, {"period": "1"}, allowed_fields=("period",), touch={"job": "b"}) == {}
    assert _updates(ctx) == []
    assert row.job == "a"


def test_touch_is_saved_with_a_change_or_when_forced(db):
    row = ScheduledRun.objects.create(job="a", period="1")
    model_update(row, {}, allowed_fields=("period",), touch={"job": "b"}, force=True)
    row.refresh_from_db()
    assert row.job == "b"


def test_unknown_fields_are_refused_by_name(db):
    row = ScheduledRun.objects.create(job="a", period="1")
    with pytest.raises(ValidationFailed) as exc:
        model_update(row, {"period": "3", "secret": 1}, allowed_fields=("period",))
    assert exc.value.errors == {"secret": "unknown field"}
    row.refresh_from_db()
    assert row.period == "1"
