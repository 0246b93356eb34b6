"""Supervision of a service's long-running tasks (relay, period closer, consumers...).

A task that ends, by an error or by returning, is started again after an exponential
back-off (capped), so a database or broker outage costs a pause, never the task. While a
task waits to be restarted it is *down*: ``report()`` says so for ``/health`` and the
``erk_task_up`` gauge for Prometheus, with the restarts counted. A task that ran for
``healthy_after_s`` before failing starts its back-off afresh (which is why this is not
tenacity's retry loop: its attempt count never resets, so a service that survived a
hundred short outages over a year would wait the maximum after every later one).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

log = logging.getLogger(__name__)

TaskFactory = Callable[[], Awaitable[None]]


@dataclass
class TaskState:
    up: bool = False
    restarts: int = 0
    last_error: str | None = None

    def report(self) -> dict[str, Any]:
        return {"status": "ok" if self.up else "down", "restarts": self.restarts,
                "last_error": self.last_error}


class Supervisor:
    def __init__(self, registry: CollectorRegistry, first_backoff_s: float = 0.5,
                 max_backoff_s: float = 15.0, healthy_after_s: float = 30.0) -> None:
        self._first_backoff_s, self._max_backoff_s = first_backoff_s, max_backoff_s
        self._healthy_after_s = healthy_after_s
        self._states: dict[str, TaskState] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._up = Gauge("erk_task_up", "1 while a supervised task runs, 0 while it waits "
                         "to be restarted", ["task"], registry=registry)
        self._restarts = Counter("erk_task_restarts", "Restarts of a supervised task after "
                                 "it failed or ended", ["task"], registry=registry)

    def start(self, name: str, factory: TaskFactory) -> None:
        """Run ``factory()`` as task ``name`` until :meth:`stop`, restarting it as needed."""
        self._states[name] = state = TaskState()
        self._set_up(name, state, True)  # up from the start: it is about to run
        self._restarts.labels(task=name)  # exported as 0 from the start
        self._tasks.append(asyncio.create_task(self._keep_running(name, factory), name=name))

    def report(self) -> dict[str, Any]:
        """``{"status": "ok"|"down", <task>: {...}}``; ok when every task runs."""
        tasks = {name: state.report() for name, state in self._states.items()}
        up = all(state.up for state in self._states.values())
        return {"status": "ok" if up else "down", **tasks}

    async def join(self) -> None:
        """Wait for the tasks; they end only when cancelled."""
        await asyncio.gather(*self._tasks)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _keep_running(self, name: str, factory: TaskFactory) -> None:
        state, failures = self._states[name], 0
        while True:
            self._set_up(name, state, True)
            started = time.monotonic()
            try:
                await factory()
                error = "ended"  # a long-running task must not end: start it again
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = type(exc).__name__
                log.warning("task %s failed (%s)", name, error, exc_info=True)
            failures = 1 if time.monotonic() - started >= self._healthy_after_s else failures + 1
            state.last_error, state.restarts = error, state.restarts + 1
            self._set_up(name, state, False)
            delay = self._delay(failures)
            log.warning("task %s restarts in %.1f s (restart %d)", name, delay, state.restarts)
            await asyncio.sleep(delay)
            self._restarts.labels(task=name).inc()

    def _set_up(self, name: str, state: TaskState, up: bool) -> None:
        state.up = up
        self._up.labels(task=name).set(1 if up else 0)

    def _delay(self, failures: int) -> float:
        return float(min(self._max_backoff_s, self._first_backoff_s * 2.0 ** min(failures - 1, 30)))
