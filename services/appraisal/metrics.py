"""Prometheus metrics of the projection consumer, in a registry of their own."""

import time
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.applied = Counter("erk_events_applied", "Events applied to the projections",
                               registry=self.registry)
        self.dead_letters = Counter("erk_dead_letters", "Records sent to the dead-letter topic",
                                    ["code"], registry=self.registry)
        self.lag_records = Gauge("erk_consumer_lag_positions", "Records not yet applied",
                                 ["partition"], registry=self.registry)
        self.lag_seconds = Gauge("erk_consumer_lag_seconds",
                                 "Age of the last applied event when applied", ["partition"],
                                 registry=self.registry)

    def observe_positions(self, last_recorded_at: dict[int, datetime]) -> None:
        now = time.time()
        for partition, recorded_at in last_recorded_at.items():
            self.lag_seconds.labels(partition=str(partition)).set(
                max(0.0, now - recorded_at.timestamp()))

    def observe_lag(self, lag_by_partition: dict[int, int]) -> None:
        for partition, lag in lag_by_partition.items():
            self.lag_records.labels(partition=str(partition)).set(lag)
