"""What intake does by itself, without a request: its actor, and the loop that runs a round
of it now and every so often (the period closer, the eraser)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception_type, wait_exponential

from shared.auth import Principal

log = logging.getLogger(__name__)

SYSTEM = Principal("system", "admin")
"""The actor of what nobody asked for (envelope actor ``system``)."""


async def every(interval_s: float, do_round: Callable[[], Awaitable[object]]) -> None:
    """``do_round`` now and every ``interval_s``, until cancelled; a failed round (say, the
    database is away) restarts the loop after an exponential back-off (at most 60 s)."""
    async for attempt in AsyncRetrying(
            wait=wait_exponential(multiplier=1, max=60),
            retry=retry_if_exception_type(Exception),
            before_sleep=before_sleep_log(log, logging.WARNING)):
        with attempt:
            while True:
                await do_round()
                await asyncio.sleep(interval_s)
