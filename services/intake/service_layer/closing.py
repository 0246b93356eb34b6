"""Closing a period, for the admin command and the period closer alike: when a 2022-regime
policy governs the period, appraisal's distribution-curve check is read first (outside the
serialised transaction: no lock is held while appraisal answers) and recorded with the close
(``domain.curve_check``).

No half-written state: the check and the close are recorded in one unit of work, and
nothing at all when appraisal cannot be reached (503 ``appraisal_unavailable``; the period
closer tries again on its next round). A ``block`` policy's breach before the close day
records the check alone and refuses the close (409 ``curve_breached``, naming the units).
"""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from services.intake.domain import commands as c
from services.intake.domain import curve_check, rules
from services.intake.domain.errors import Rejected
from services.intake.service_layer.ports import (
    DistributionSource,
    DistributionUnavailable,
    FactReader,
    ReadFacts,
)
from shared.auth import Principal
from shared.clock import Clock

Answer = dict[str, Any]
Execute = Callable[[Principal, list[Any]], Awaitable[list[Answer | Rejected]]]
Close = Callable[[Principal, str], Awaitable[Answer | Rejected]]
"""Closes a period for a caller: the answer, or why not."""


class PeriodClosing:
    def __init__(self, read_facts: ReadFacts, execute: Execute,
                 distribution: DistributionSource | None, clock: Clock) -> None:
        self._read_facts = read_facts
        self._execute = execute
        self._distribution = distribution
        self._clock = clock

    async def close(self, principal: Principal, period: str) -> Answer | Rejected:
        try:
            command = await self._command(principal, period, self._clock.today())
        except Rejected as refused:
            return refused
        (result,) = await self._execute(principal, [command])
        if isinstance(result, dict) and result.get("closed") is False:
            assert isinstance(command, curve_check.CheckedClose)
            return Rejected(
                "curve_breached", "the policy blocks closing this period early: the "
                f"distribution curve is breached in {curve_check.breach_summary(command.reading)}"
                f" (the check is recorded, event {result['check_event_id']})", "period", 409)
        return result

    async def _command(self, principal: Principal, period: str, today: date) -> Any:
        """The close to run: a plain one, or one with the curve check read now. A close
        the rules would refuse is refused before appraisal is asked."""
        async with self._read_facts() as facts:
            await _would_close(facts, principal, period, today)
            applies = curve_check.curve_applies(await facts.policies(), period)
        if not applies:
            return c.ClosePeriod(period=period)
        return curve_check.CheckedClose(period, await self._read(period))

    async def _read(self, period: str) -> curve_check.DistributionReading:
        if self._distribution is None:
            raise Rejected("appraisal_unavailable", "a 2022-regime policy governs this period "
                           "and its close checks the distribution curve, but no appraisal "
                           "is configured (INTAKE_APPRAISAL_URL)", "period", 503)
        try:
            return await self._distribution.read(period)
        except DistributionUnavailable as exc:
            raise Rejected("appraisal_unavailable", "the distribution curve could not be "
                           f"read from appraisal ({exc}); nothing was recorded, try again",
                           "period", 503) from exc


async def _would_close(facts: FactReader, principal: Principal, period: str,
                       today: date) -> None:
    rules.close_period(c.ClosePeriod(period=period), principal,
                       await facts.close_recorded(period), today)
