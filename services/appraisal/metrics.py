"""Prometheus metrics of the projection consumer, in a registry of their own.

Lag, per assigned partition:

* ``erk_consumer_lag_positions`` - records on the partition not yet consumed: the
  partition's high-water mark minus the consumer's next offset (parked and dead-lettered
  records count as consumed: they are accounted for in their own metrics).
* ``erk_consumer_lag_seconds`` - 0 when caught up; otherwise how old the last applied event
  is (now minus its ``recorded_at`` in the event store), i.e. how far behind the event
  store the projections of that partition are. It keeps growing while a consumer is stuck.
  Unknown (not exported) while nothing was ever applied on the partition.

* ``erk_consumer_stalled`` - 1 when records wait and nothing was applied for
  ``APPRAISAL_CONSUMER_STALL_AFTER_S`` (``shared.progress``), e.g. while the projection
  database is down.

All are updated from what the consumer already has in memory after each batch (after a
failed batch, from the broker's end offsets), and the lag in seconds again at every scrape,
so it keeps growing while the consumer is stuck; the held keys and parked records gauges
come from one aggregate query every few seconds. The lag is also kept, one sample every
few seconds, in a small ring (``LagHistory``) that the dashboard draws as lag over time:
since this process started, nothing stored.
"""

import contextlib
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.progress import Progress

LAG_SAMPLE_EVERY_S = 5.0
LAG_SAMPLES_KEPT = 720  # an hour at one sample every 5 s


@dataclass(frozen=True)
class LagSample:
    at: float
    """Unix time of the sample."""
    positions: int
    """Records not yet consumed, summed over the partitions this consumer owns."""
    seconds: float | None
    """The largest lag in seconds of those partitions; None while none is known."""


class LagHistory:
    """The last ``kept`` lag samples, at most one per ``every_s`` seconds."""

    def __init__(self, every_s: float = LAG_SAMPLE_EVERY_S,
                 kept: int = LAG_SAMPLES_KEPT) -> None:
        self.every_s = every_s
        self.samples: deque[LagSample] = deque(maxlen=kept)

    def record(self, sample: LagSample) -> None:
        if self.samples and sample.at - self.samples[-1].at < self.every_s:
            return
        self.samples.append(sample)


class Metrics:
    def __init__(self, stall_after_s: float = 30.0) -> None:
        self.registry = CollectorRegistry()
        self._progress = Progress(stall_after_s)
        self._consumed_total = 0
        self._lag: dict[int, int] = {}
        self._lag_s: dict[int, float] = {}
        self.stalled = Gauge("erk_consumer_stalled", "1 when records wait and nothing was "
                             "applied for the stall interval", registry=self.registry)
        self.applied = Counter("erk_events_applied", "Events applied to the projections",
                               registry=self.registry)
        self.duplicates = Counter("erk_events_duplicate",
                                  "Records skipped as already applied (offset or position)",
                                  registry=self.registry)
        self.dead_letters = Counter("erk_dead_letters", "Records sent to the dead-letter topic",
                                    ["code"], registry=self.registry)
        self.parked_total = Counter("erk_records_parked",
                                    "Records parked behind a held key", registry=self.registry)
        self.batch_failures = Counter("erk_consumer_batch_failures",
                                      "Batches rolled back and retried from the stored positions",
                                      registry=self.registry)
        self.lag_records = Gauge("erk_consumer_lag_positions",
                                 "Records on the partition not yet consumed", ["partition"],
                                 registry=self.registry)
        self.lag_seconds = Gauge("erk_consumer_lag_seconds",
                                 "0 when caught up, else now minus recorded_at of the last "
                                 "applied event", ["partition"], registry=self.registry)
        self.held_keys = Gauge("erk_held_keys", "Keys held behind an open dead letter "
                               "('*' counts once and holds the whole partition)",
                               ["partition"], registry=self.registry)
        self.parked = Gauge("erk_parked_records", "Records parked behind held keys",
                            ["partition"], registry=self.registry)
        self.open_dead_letters = Gauge("erk_dead_letters_open",
                                       "Dead letters waiting for an operator", ["code"],
                                       registry=self.registry)
        self._last_applied: dict[int, datetime] = {}
        self._owned: set[int] = set()
        self.lag_history = LagHistory()

    def observe_consumed(self, count: int) -> None:
        """Records a batch consumed (applied, skipped, parked or dead-lettered): progress."""
        self._consumed_total += count

    def consumer_report(self) -> dict[str, Any]:
        """The consumer's lag now (positions summed, seconds of the worst partition) and
        whether it is stalled; refreshes the gauges first."""
        self.observe_lag(self._lag)
        behind = sum(self._lag.values())
        stalled = self._progress.observe(self._consumed_total, behind, time.monotonic())
        self.stalled.set(1 if stalled else 0)
        return {"status": "stalled" if stalled else "ok", "lag_positions": behind,
                "lag_seconds": round(max(self._lag_s.values(), default=0.0), 3)}

    def observe_positions(self, last_recorded_at: dict[int, datetime]) -> None:
        """Remember recorded_at of the last event applied on each partition."""
        self._last_applied.update(last_recorded_at)

    def observe_lag(self, lag_by_partition: dict[int, int]) -> None:
        """Lag of the partitions this consumer owns; series of others are dropped."""
        now = time.time()
        for gone in self._owned - lag_by_partition.keys():
            for gauge in (self.lag_records, self.lag_seconds):
                with contextlib.suppress(KeyError):
                    gauge.remove(str(gone))
        self._owned, self._lag = set(lag_by_partition), dict(lag_by_partition)
        self._lag_s = {p: s for p, s in self._lag_s.items() if p in self._owned}
        for partition, lag in lag_by_partition.items():
            label = str(partition)
            self.lag_records.labels(partition=label).set(lag)
            seconds = _seconds_behind(lag, self._last_applied.get(partition), now)
            if seconds is not None:
                self.lag_seconds.labels(partition=label).set(seconds)
                self._lag_s[partition] = seconds
        self.lag_history.record(LagSample(now, sum(lag_by_partition.values()),
                                          max(self._lag_s.values(), default=None)))

    def observe_backlog(self, held_keys: dict[int, int], parked: dict[int, int],
                        open_by_code: dict[str, int]) -> None:
        for gauge, values in ((self.held_keys, held_keys), (self.parked, parked)):
            gauge.clear()
            for partition, count in values.items():
                gauge.labels(partition=str(partition)).set(count)
        self.open_dead_letters.clear()
        for code, count in open_by_code.items():
            self.open_dead_letters.labels(code=code).set(count)


def _seconds_behind(lag: int, last_applied: datetime | None, now: float) -> float | None:
    """0 when caught up; unknown while nothing was applied on the partition."""
    if lag == 0:
        return 0.0
    if last_applied is None:
        return None
    return max(0.0, now - last_applied.timestamp())
