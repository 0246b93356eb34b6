"""Closes periods by themselves: records ``PeriodClosed`` (actor ``system``) for every period
whose close day has come and whose close is not recorded yet.

The rules already treat such a period as closed (``domain.periods.is_locked``); the event
makes the close part of the history, so a replay and the read side see it too. Idempotent
and safe with several intake processes: appends are serialised, so a second closer finds
the close recorded (``period_closed``), and the stream version of ``period-YYYY-MM`` turns a
close that slipped through anyway into a conflict; both are taken quietly. A period a
2022-regime policy governs is closed with its curve check (``closing``); when appraisal
cannot be reached, nothing is recorded and the next round tries again.
"""

import logging

from services.intake.domain.errors import Rejected
from services.intake.service_layer.background import SYSTEM, every
from services.intake.service_layer.closing import Close
from services.intake.service_layer.period_state import due_for_closing
from services.intake.service_layer.ports import ConcurrencyConflict, ReadFacts
from shared.clock import Clock

log = logging.getLogger(__name__)



class PeriodCloser:
    def __init__(self, read_facts: ReadFacts, close: Close, clock: Clock,
                 interval_s: float) -> None:
        self._read_facts = read_facts
        self._close_period = close
        self._clock = clock
        self._interval_s = interval_s

    async def close_due(self) -> list[str]:
        """Close every period due today; returns those this call closed."""
        today = self._clock.today()
        async with self._read_facts() as facts:
            due = await due_for_closing(facts, today)
        closed = []
        for period in due:
            if await self._close(period):
                closed.append(period)
        return closed

    async def _close(self, period: str) -> bool:
        try:
            result = await self._close_period(SYSTEM, period)
        except ConcurrencyConflict:
            log.info("period %s was closed by another process meanwhile", period)
            return False
        if isinstance(result, Rejected):
            if result.code == "appraisal_unavailable":
                log.warning("period %s not closed yet, retried next round: %s", period,
                            result.message)
            elif result.code != "period_closed":  # anything else is a bug worth seeing
                log.warning("closing period %s was refused: %s", period, result.code)
            return False
        log.info("period %s closed: its close day has come (curve: %s)", period,
                 result.get("close_action", "not checked"))
        return True

    async def run(self) -> None:
        """``close_due`` now and every ``interval_s`` (``background.every``)."""
        await every(self._interval_s, self.close_due)
