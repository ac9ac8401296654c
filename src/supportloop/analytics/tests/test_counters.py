"""counters_add: the one upsert every rollup moves its counts with."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportloop.analytics.counters import counters_add
from supportloop.analytics.models import DailyDuration

pytestmark = pytest.mark.django_db

KEYS = ("day", "measure", "team_key", "ordering", "bucket")
DAY = date(2026, 3, 2)


def _counts() -> dict[tuple, int]:
    return {
        (row.day, row.measure, row.team_key, row.ordering, row.bucket): row.count for row in DailyDuration.objects.all()
    }


def test_rows_create_missing_buckets_add_to_existing_ones_and_same_keys_are_summed_in_one_statement():
    counters_add(DailyDuration, KEYS, ("count",), [(DAY, "resolution", 0, "calendar", 3, 2)])
    with CaptureQueriesContext(connection) as queries:
        touched = counters_add(
            DailyDuration,
            KEYS,
            ("count",),
            [
                (DAY, "resolution", 0, "calendar", 3, 1),  # exists: added to
                (DAY, "first_response", 7, "working", 1, 1),  # new twice: summed, then created
                (DAY, "first_response", 7, "working", 1, 4),
            ],
        )
    assert len(queries.captured_queries) == 1 and touched == 2
    assert _counts() == {
        (DAY, "resolution", 0, "calendar", 3): 3,
        (DAY, "first_response", 7, "working", 1): 5,
    }


def test_rows_that_add_nothing_write_nothing_and_a_move_can_empty_a_bucket():
    counters_add(DailyDuration, KEYS, ("count",), [(DAY, "resolution", 0, "calendar", 3, 1)])
    with CaptureQueriesContext(connection) as queries:
        assert (
            counters_add(
                DailyDuration,
                KEYS,
                ("count",),
                [(DAY, "resolution", 0, "calendar", 4, 1), (DAY, "resolution", 0, "calendar", 4, -1)],
            )
            == 0
        )
    assert queries.captured_queries == []
    counters_add(DailyDuration, KEYS, ("count",), [(DAY, "resolution", 0, "calendar", 3, -1)])
    assert _counts() == {(DAY, "resolution", 0, "calendar", 3): 0}
