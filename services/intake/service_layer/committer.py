"""Group commit: requests that arrive while a transaction runs share the next one.

Appends are serialised anyway (one global order), so one transaction per request would cap
throughput at one commit round trip each. The committer runs one unit of work at a time
and hands it every request that queued meanwhile; at low load a request runs alone at
once, at high load the commit cost is shared. A group that fails as a whole (say, a lost
connection) is retried request by request, so one bad request cannot fail its neighbours.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from shared.auth import Principal

log = logging.getLogger(__name__)

Results = list[Any]
Request = tuple[Principal, list[Any]]
RunGroup = Callable[[list[Request]], Awaitable[list[Results]]]


@dataclass
class _Waiting:
    request: Request
    future: "asyncio.Future[Results]" = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommitter:
    def __init__(self, run_group: RunGroup, max_commands: int = 2000) -> None:
        self._run_group = run_group
        self._max_commands = max_commands
        self._queue: list[_Waiting] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, principal: Principal, commands: list[Any]) -> Results:
        waiting = _Waiting((principal, commands))
        self._queue.append(waiting)
        self._wakeup.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return await waiting.future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                await self._commit(self._take())

    def _take(self) -> list[_Waiting]:
        group: list[_Waiting] = []
        size = 0
        while self._queue and (not group or size + len(self._queue[0].request[1])
                               <= self._max_commands):
            waiting = self._queue.pop(0)
            group.append(waiting)
            size += len(waiting.request[1])
        return group

    async def _commit(self, group: list[_Waiting]) -> None:
        try:
            results = await self._run_group([w.request for w in group])
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0], error=exc)
                return
            log.warning("group of %d failed (%s); retrying one by one", len(group),
                        type(exc).__name__)
            for waiting in group:
                await self._commit([waiting])
            return
        for waiting, result in zip(group, results, strict=True):
            _settle(waiting, result=result)


def _settle(waiting: _Waiting, result: Results | None = None,
            error: BaseException | None = None) -> None:
    if waiting.future.done():  # the caller went away (request cancelled)
        return
    if error is not None:
        waiting.future.set_exception(error)
    else:
        waiting.future.set_result(result or [])
