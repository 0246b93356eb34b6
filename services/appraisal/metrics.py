"""Prometheus metrics of the projection consumer, in a registry of their own.

Lag, per assigned partition:

* ``erk_consumer_lag_positions`` - records on the partition not yet consumed: the
  partition's high-water mark minus the consumer's next offset (parked and dead-lettered
  records count as consumed: they are accounted for in their own metrics).
* ``erk_consumer_lag_seconds`` - 0 when caught up; otherwise how old the last applied event
  is (now minus its ``recorded_at`` in the event store), i.e. how far behind the event
  store the projections of that partition are. It keeps growing while a consumer is stuck.
  Unknown (not exported) while nothing was ever applied on the partition.

All are updated from what the consumer already has in memory after each batch; the held
keys and parked records gauges come from one aggregate query every few seconds.
"""

import contextlib
import time
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
        self._owned = set(lag_by_partition)
        for partition, lag in lag_by_partition.items():
            label = str(partition)
            self.lag_records.labels(partition=label).set(lag)
            last = self._last_applied.get(partition)
            if lag == 0:
                self.lag_seconds.labels(partition=label).set(0)
            elif last is not None:
                self.lag_seconds.labels(partition=label).set(max(0.0, now - last.timestamp()))

    def observe_backlog(self, held_keys: dict[int, int], parked: dict[int, int],
                        open_by_code: dict[str, int]) -> None:
        for gauge, values in ((self.held_keys, held_keys), (self.parked, parked)):
            gauge.clear()
            for partition, count in values.items():
                gauge.labels(partition=str(partition)).set(count)
        self.open_dead_letters.clear()
        for code, count in open_by_code.items():
            self.open_dead_letters.labels(code=code).set(count)
