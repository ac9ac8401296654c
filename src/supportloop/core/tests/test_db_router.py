"""The report router (core/db.py) without a real replica: the replica alias points at the test database itself
("default"), so the routing decisions are observable; the cluster test (scripts/cluster_test.py) checks a real
streaming replica."""

from __future__ import annotations

import pytest
from django.test import Client

from supportloop.accounts.choices import Role
from supportloop.core import db as dbmod
from supportloop.core.db import ReplicaRouter, current_report_source, reading_reports, replica_staleness
from supportloop.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_measurement():
    dbmod._measured.clear()
    yield
    dbmod._measured.clear()


@pytest.fixture
def same_db_replica(settings):
    """The 'replica' is the primary itself: reads routed there still work, and the router's choice shows."""
    settings.SUPPORTLOOP_REPLICA_DATABASE = "default"
    settings.SUPPORTLOOP_REPLICA_MAX_LAG_SECONDS = 30
    return settings


def test_without_a_replica_reads_stay_on_the_primary(settings):
    settings.SUPPORTLOOP_REPLICA_DATABASE = "replica-not-configured"
    router = ReplicaRouter()
    with reading_reports() as source:
        assert source.on_replica is False
        assert source.replica_configured is False
        assert router.db_for_read(Ticket) is None
    assert current_report_source() is None


def test_reads_go_to_the_replica_inside_the_block_only(same_db_replica):
    router = ReplicaRouter()
    assert router.db_for_read(Ticket) is None
    with reading_reports() as source:
        assert source.on_replica and source.alias == "default"
        assert source.staleness == 0.0  # the primary is never behind itself
        assert router.db_for_read(Ticket) == "default"
        assert router.db_for_write(Ticket) == "default"
        assert Ticket.objects.count() == 0  # the routed read really runs
    assert router.db_for_read(Ticket) is None
    assert current_report_source() is None


def test_a_replica_behind_the_bound_is_not_used(same_db_replica, monkeypatch):
    monkeypatch.setattr(dbmod, "replica_staleness", lambda alias: 45.0)
    with reading_reports() as source:
        assert source.on_replica is False
        assert "45.0 s behind" in source.reason
        assert ReplicaRouter().db_for_read(Ticket) is None


def test_a_replica_within_the_bound_is_used_with_its_staleness(same_db_replica, monkeypatch):
    monkeypatch.setattr(dbmod, "replica_staleness", lambda alias: 12.5)
    with reading_reports() as source:
        assert source.on_replica and source.staleness == 12.5


def test_an_unreachable_or_not_streaming_replica_is_not_used(same_db_replica, monkeypatch):
    monkeypatch.setattr(dbmod, "replica_staleness", lambda alias: None)
    with reading_reports() as source:
        assert source.on_replica is False and "not streaming" in source.reason


def test_one_measurement_serves_for_the_check_interval(same_db_replica, monkeypatch):
    calls = []
    monkeypatch.setattr(dbmod, "replica_staleness", lambda alias: calls.append(alias) or 1.0)
    same_db_replica.SUPPORTLOOP_REPLICA_CHECK_SECONDS = 60
    for _ in range(3):
        with reading_reports():
            pass
    assert calls == ["default"]
    dbmod._measured.clear()
    same_db_replica.SUPPORTLOOP_REPLICA_CHECK_SECONDS = 0
    with reading_reports():
        pass
    with reading_reports():
        pass
    assert len(calls) == 3


def test_nested_blocks_keep_the_outer_decision_and_the_decorator_routes(same_db_replica, monkeypatch):
    values = iter([2.0, 99.0])
    monkeypatch.setattr(dbmod, "replica_staleness", lambda alias: next(values))
    same_db_replica.SUPPORTLOOP_REPLICA_CHECK_SECONDS = 0

    @reading_reports
    def report() -> str | None:
        with reading_reports() as inner:  # would measure 99 s if it decided again
            assert inner.staleness == 2.0
        return ReplicaRouter().db_for_read(Ticket)

    assert report() == "default"
    assert current_report_source() is None


def test_staleness_of_a_primary_is_zero():
    assert replica_staleness("default") == 0.0


def test_the_replica_alias_is_never_migrated(monkeypatch):
    router = ReplicaRouter()
    monkeypatch.setattr(dbmod, "replica_alias", lambda: "replica")
    assert router.allow_migrate("replica", "tickets") is False
    assert router.allow_migrate("default", "tickets") is None


def test_report_pages_say_where_their_data_came_from(same_db_replica, monkeypatch, make_user):
    client = Client()
    client.force_login(make_user(Role.PRODUCT))
    monkeypatch.setattr(dbmod, "replica_staleness", lambda alias: 3.0)
    page = client.get("/feedback/").content.decode()
    assert 'data-report-source="default"' in page and "Data as of 3 s ago (read replica)." in page

    monkeypatch.setattr(dbmod, "replica_staleness", lambda alias: 300.0)
    dbmod._measured.clear()
    page = client.get("/feedback/").content.decode()
    assert "the read replica is not used now" in page and "300.0 s behind" in page


def test_report_pages_say_nothing_without_a_replica(settings, make_user):
    settings.SUPPORTLOOP_REPLICA_DATABASE = "replica-not-configured"
    client = Client()
    client.force_login(make_user(Role.PRODUCT))
    page = client.get("/feedback/").content.decode()
    assert "data-report-source" not in page


def test_reports_plan_with_their_values_and_their_memory_only_inside_the_block(settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL settings")
    settings.SUPPORTLOOP_REPORT_WORK_MEM = "48MB"

    def shown() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('plan_cache_mode'), current_setting('work_mem')")
            return cursor.fetchone()

    before = shown()
    assert before[0] == "auto" and before[1] != "48MB"
    with reading_reports():
        assert shown() == ("force_custom_plan", "48MB")
        assert dbmod.report_memory_raised("default")
    assert shown() == before
