"""The dashboard charts' shaping (pure): every day of a month, backlog age buckets at their
boundaries, categories per unit, and the lag ring's sampling."""

from datetime import UTC, date, datetime, timedelta

from services.appraisal.metrics import LagHistory, LagSample, Metrics
from services.appraisal.service_layer.charts import backlog_of, categories_of, days_of, lag_of

NOW = datetime(2026, 3, 18, 2, tzinfo=UTC)


def test_every_day_of_the_month_with_its_minutes() -> None:
    days = days_of("2024-02", [(date(2024, 2, 29), "approved", 30),
                               (date(2024, 2, 29), "pending", 15),
                               (date(2024, 2, 1), "not_validated", 7)])
    assert [d["day"] for d in days] == [date(2024, 2, n) for n in range(1, 30)]
    assert days[0] == {"day": date(2024, 2, 1), "approved": 0, "pending": 0,
                       "revision_requested": 0, "rejected": 0, "not_validated": 7}
    assert days[-1] == {"day": date(2024, 2, 29), "approved": 30, "pending": 15,
                        "revision_requested": 0, "rejected": 0, "not_validated": 0}
    assert len(days_of("2026-12", [])) == 31


def _ages(*hours: float) -> list[int]:
    buckets = backlog_of(NOW, [(NOW - timedelta(hours=h), 10) for h in hours])
    return [b["activities"] for b in buckets]


def test_backlog_buckets_take_their_lower_bound() -> None:
    assert _ages(0) == [1, 0, 0, 0, 0]
    assert _ages(23.99) == [1, 0, 0, 0, 0]
    assert _ages(24) == [0, 1, 0, 0, 0]
    assert _ages(47.99, 48) == [0, 1, 1, 0, 0]
    assert _ages(72, 167.99) == [0, 0, 0, 2, 0]
    assert _ages(168, 5000) == [0, 0, 0, 0, 2]
    assert _ages(-1) == [1, 0, 0, 0, 0]  # a clock a little ahead of ours: just reported


def test_backlog_counts_minutes_and_reads_naive_times_as_utc() -> None:
    naive = (NOW - timedelta(hours=30)).replace(tzinfo=None)
    buckets = backlog_of(NOW, [(naive, 45), (NOW - timedelta(hours=25), 15)])
    assert buckets[1] == {"age": "1-2 days", "from_hours": 24, "to_hours": 48,
                          "activities": 2, "minutes": 60}
    assert [b["age"] for b in buckets] == ["under 1 day", "1-2 days", "2-3 days", "3-7 days",
                                           "7 days or more"]
    assert buckets[-1]["to_hours"] is None


def test_categories_group_by_unit_in_order() -> None:
    assert categories_of([("U1", "Baik", 3), ("U1", "Cukup", 1), ("U2", "Baik", 2)]) == [
        {"unit": "U1", "categories": {"Baik": 3, "Cukup": 1}},
        {"unit": "U2", "categories": {"Baik": 2}}]


def test_the_lag_ring_keeps_one_sample_per_interval_and_the_latest_ones() -> None:
    ring = LagHistory(every_s=5, kept=3)
    for at in (100.0, 104.9, 105.0, 111.0, 116.0, 121.0):
        ring.record(LagSample(at, int(at), None))
    assert [s.at for s in ring.samples] == [111.0, 116.0, 121.0]
    assert [s.at for s in LagHistory(every_s=5, kept=9).samples] == []
    assert lag_of([LagSample(0.0, 3, 1.5)]) == [
        {"at": datetime(1970, 1, 1, tzinfo=UTC), "positions": 3, "seconds": 1.5}]


def test_observed_lag_is_sampled_with_the_largest_known_seconds() -> None:
    metrics = Metrics()
    metrics.observe_lag({0: 5})  # nothing applied yet: seconds unknown
    (sample,) = metrics.lag_history.samples
    assert (sample.positions, sample.seconds) == (5, None)
    metrics.lag_history.samples.clear()
    metrics.observe_positions({1: datetime.now(UTC) - timedelta(seconds=60)})
    metrics.observe_lag({0: 0, 1: 2, 2: 3})
    (sample,) = metrics.lag_history.samples
    assert sample.positions == 5 and sample.seconds is not None and 59 < sample.seconds < 120
