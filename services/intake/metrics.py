"""Prometheus metrics of intake, in a registry of their own, and the relay's health.

* ``erk_store_head_position`` / ``erk_relay_checkpoint_position`` - the last committed
  event and the last one Kafka confirmed.
* ``erk_relay_lag_events`` - their difference: acknowledged events not yet published.
* ``erk_relay_lag_seconds`` - how long the oldest of those has waited (0 when none waits).
* ``erk_relay_stalled`` - 1 when the relay is behind and its checkpoint has not moved for
  ``INTAKE_RELAY_STALL_AFTER_S`` (``shared.progress``).
* ``erk_task_up`` / ``erk_task_restarts_total`` - the supervised tasks (``shared.supervisor``).

The relay figures are read from the store when ``/metrics`` or ``/health`` is asked, so they
hold whichever process relays.
"""

import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

from services.intake.adapters.relay_lag import RelayLag
from shared.progress import Progress


class IntakeMetrics:
    def __init__(self, stall_after_s: float) -> None:
        self.registry = CollectorRegistry()
        self._progress = Progress(stall_after_s)
        self.head = Gauge("erk_store_head_position", "Position of the last committed event",
                          registry=self.registry)
        self.checkpoint = Gauge("erk_relay_checkpoint_position",
                                "Position of the last event Kafka confirmed",
                                registry=self.registry)
        self.lag_events = Gauge("erk_relay_lag_events", "Committed events not yet published",
                                registry=self.registry)
        self.lag_seconds = Gauge("erk_relay_lag_seconds", "How long the oldest unpublished "
                                 "event has waited (0 when none waits)", registry=self.registry)
        self.stalled = Gauge("erk_relay_stalled", "1 when the relay is behind and its "
                             "checkpoint has not moved for the stall interval",
                             registry=self.registry)

    def observe_relay(self, lag: RelayLag) -> dict[str, Any]:
        """Update the gauges from ``lag``; the relay's health entry."""
        stalled = self._progress.observe(lag.checkpoint, lag.events, time.monotonic())
        seconds = round(lag.seconds(datetime.now(UTC)), 3)
        self.head.set(lag.head)
        self.checkpoint.set(lag.checkpoint)
        self.lag_events.set(lag.events)
        self.lag_seconds.set(seconds)
        self.stalled.set(1 if stalled else 0)
        return {"status": "stalled" if stalled else "ok", "store_head": lag.head,
                "checkpoint": lag.checkpoint, "lag_events": lag.events, "lag_seconds": seconds}
