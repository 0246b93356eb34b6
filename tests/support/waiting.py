"""Bounded waiting for tests: poll a condition instead of sleeping a fixed time.

``eventually`` returns as soon as the condition holds (so a fast machine is not slowed
down) and fails with a message once ``timeout`` has passed (so a slow one gets time, and a
broken one a clear error). ``never`` checks that something does NOT happen for a while,
the one case where time itself is the point.
"""

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
Condition = Callable[[], T | Awaitable[T]]


async def _value(condition: Condition[T]) -> T:
    result = condition()
    if inspect.isawaitable(result):
        return await result
    return result


async def eventually(condition: Condition[T], timeout: float = 30.0,  # noqa: ASYNC109
                     interval: float = 0.05,
                     what: str = "condition") -> T:
    """Poll ``condition`` (sync or async) until it returns something truthy; return that.
    Raises AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await _value(condition)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        await asyncio.sleep(interval)


async def never(condition: Condition[object], duration: float, interval: float = 0.05,
                what: str = "condition") -> None:
    """Poll ``condition`` for ``duration`` seconds; fail as soon as it turns truthy."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if await _value(condition):
            raise AssertionError(f"{what} happened, and should not have")
        await asyncio.sleep(interval)
