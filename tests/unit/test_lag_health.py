"""The relay's and the consumer's health entries and gauges from what was observed."""

from datetime import UTC, datetime, timedelta

import pytest

from services.appraisal.metrics import Metrics
from services.intake.adapters.relay_lag import RelayLag
from services.intake.metrics import IntakeMetrics


def test_relay_lag_counts_events_and_the_wait_of_the_oldest() -> None:
    now = datetime(2026, 12, 2, 8, tzinfo=UTC)
    lag = RelayLag(head=120, checkpoint=100, oldest_unpublished_at=now - timedelta(seconds=42))
    assert lag.events == 20
    assert lag.seconds(now) == 42.0
    assert RelayLag(100, 100, None).seconds(now) == 0.0
    assert RelayLag(100, 100, None).events == 0


def test_relay_entry_and_gauges() -> None:
    metrics = IntakeMetrics(stall_after_s=30)
    waited = datetime.now(UTC) - timedelta(seconds=5)
    entry = metrics.observe_relay(RelayLag(head=10, checkpoint=7, oldest_unpublished_at=waited))
    assert entry["status"] == "ok"  # behind, but just seen: not stalled yet
    assert (entry["store_head"], entry["checkpoint"], entry["lag_events"]) == (10, 7, 3)
    assert 5 <= entry["lag_seconds"] < 60
    value = metrics.registry.get_sample_value
    assert value("erk_relay_lag_events") == 3 and value("erk_store_head_position") == 10
    assert value("erk_relay_checkpoint_position") == 7 and value("erk_relay_stalled") == 0


def test_relay_stalled_after_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([100.0, 131.0, 132.0])
    monkeypatch.setattr("services.intake.metrics.time.monotonic", lambda: next(clock))
    metrics = IntakeMetrics(stall_after_s=30)
    behind = RelayLag(head=10, checkpoint=7, oldest_unpublished_at=datetime.now(UTC))
    assert metrics.observe_relay(behind)["status"] == "ok"
    assert metrics.observe_relay(behind)["status"] == "stalled"
    assert metrics.registry.get_sample_value("erk_relay_stalled") == 1
    moved = RelayLag(head=10, checkpoint=8, oldest_unpublished_at=datetime.now(UTC))
    assert metrics.observe_relay(moved)["status"] == "ok"


def test_consumer_entry_sums_lag_and_stalls_without_progress(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([100.0, 111.0, 112.0])
    monkeypatch.setattr("services.appraisal.metrics.time.monotonic", lambda: next(clock))
    metrics = Metrics(stall_after_s=10)
    metrics.observe_positions({0: datetime.now(UTC) - timedelta(seconds=20)})
    metrics.observe_lag({0: 4, 1: 0})
    first = metrics.consumer_report()
    assert (first["status"], first["lag_positions"]) == ("ok", 4)
    assert 20 <= first["lag_seconds"] < 60  # partition 0's; partition 1 is caught up
    assert metrics.consumer_report()["status"] == "stalled"
    assert metrics.registry.get_sample_value("erk_consumer_stalled") == 1
    metrics.observe_consumed(3)
    assert metrics.consumer_report()["status"] == "ok"
