"""Carries out due erasures: for every erasure request whose retention has passed, destroys
the person's data key, then records ``PersonalDataErased`` (actor ``system``).

The key goes first: a crash between the two leaves a request that is due and not done, and
the next round destroys again (idempotent) and records it; never an event claiming an
erasure whose key still exists. Runs supervised, and at once after a request that is due
already (a policy retention of 0 days).
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.service_layer.background import SYSTEM, every
from services.intake.service_layer.ports import ConcurrencyConflict, ReadFacts
from shared.auth import Principal
from shared.clock import Clock

log = logging.getLogger(__name__)

Execute = Callable[[Principal, list[Any]], Awaitable[list[dict[str, Any] | Rejected]]]


class KeyDestroyer(Protocol):
    async def destroy(self, subject: str) -> bool: ...


class Eraser:
    def __init__(self, read_facts: ReadFacts, execute: Execute, keys: KeyDestroyer,
                 clock: Clock, interval_s: float) -> None:
        self._read_facts = read_facts
        self._execute = execute
        self._keys = keys
        self._clock = clock
        self._interval_s = interval_s

    async def erase_due(self) -> list[str]:
        """Erase everyone due today; returns the NIPs this call erased."""
        today = self._clock.today()
        async with self._read_facts() as facts:
            due = await facts.erasures_due(today)
        erased = []
        for request in due:
            await self._keys.destroy(request.nip)
            if await self._record(request.nip):
                erased.append(request.nip)
        return erased

    async def _record(self, nip: str) -> bool:
        try:
            (result,) = await self._execute(SYSTEM, [c.CompleteErasure(nip=nip)])
        except ConcurrencyConflict:
            log.info("an erasure was recorded by another process meanwhile")
            return False
        if isinstance(result, Rejected):
            if result.code != "already_erased":
                log.warning("recording an erasure was refused: %s", result.code)
            return False
        log.info("erasure done: event %s", result["event_id"])
        return True

    async def run(self) -> None:
        """``erase_due`` now and every ``interval_s`` (``background.every``)."""
        await every(self._interval_s, self.erase_due)
