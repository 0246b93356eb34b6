"""The period closer on the in-memory adapters: it records each due close once, as the
system, however often it runs and however many closers run."""

import asyncio
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.intake.adapters.memory import InMemoryStore
from services.intake.domain import commands as c
from services.intake.service_layer.closing import PeriodClosing
from services.intake.service_layer.committer import GroupCommitter
from services.intake.service_layer.execution import run_group
from services.intake.service_layer.period_closer import PeriodCloser
from services.intake.service_layer.ports import Context
from shared.auth import Principal
from shared.clock import FixedClock
from shared.events import PeriodClosed
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

ADMIN = Principal("admin", "admin")
POLICY = load_policy(default_policy_path())  # effective from 2026-01, close day 10


class Closing:
    """A store with the default policy, a clock, and closers sharing one committer."""

    def __init__(self, today: date) -> None:
        self.store = InMemoryStore()
        self.clock = FixedClock(datetime(today.year, today.month, today.day, 9,
                                         tzinfo=ZoneInfo("Asia/Jakarta")))
        self.committer = GroupCommitter(
            lambda requests: run_group(self.store.unit, requests, self.clock.today()))

    def closer(self) -> PeriodCloser:
        closing = PeriodClosing(self.store.committed_facts, self.committer.submit, None,
                                self.clock)
        return PeriodCloser(self.store.committed_facts, closing.close, self.clock, 60)

    async def execute(self, principal: Principal, command: Any) -> Any:
        (answer,) = await self.committer.submit(principal, [command])
        return answer

    def closes(self) -> list[tuple[str, str]]:
        return [(e.stream_id, e.actor) for e in self.store.events
                if e.event_type == "PeriodClosed"]


@pytest.fixture
async def closing() -> Closing:
    closing = Closing(date(2026, 4, 10))
    await closing.execute(ADMIN, POLICY)
    return closing


async def test_due_periods_are_closed_once_by_the_system(closing: Closing) -> None:
    closer = closing.closer()
    assert await closer.close_due() == ["2026-01", "2026-02", "2026-03"]
    assert await closer.close_due() == []
    assert closing.closes() == [(f"period-2026-0{m}", "system") for m in (1, 2, 3)]
    assert set(closing.store.tables.closes) == {"2026-01", "2026-02", "2026-03"}


async def test_a_period_closed_early_by_an_admin_is_left_alone(closing: Closing) -> None:
    closing.clock.move_to(datetime(2026, 3, 9, 9, tzinfo=ZoneInfo("Asia/Jakarta")))
    assert await closing.execute(ADMIN, c.ClosePeriod(period="2026-02"))
    assert await closing.closer().close_due() == ["2026-01"]
    assert closing.closes() == [("period-2026-02", "admin"), ("period-2026-01", "system")]


async def test_nothing_is_due_before_the_close_day() -> None:
    closing = Closing(date(2026, 2, 9))
    await closing.execute(ADMIN, POLICY)
    assert await closing.closer().close_due() == []
    closing.clock.move_to(datetime(2026, 2, 10, 0, 0, tzinfo=ZoneInfo("Asia/Jakarta")))
    assert await closing.closer().close_due() == ["2026-01"]


async def test_two_closers_at_once_close_each_period_once(closing: Closing) -> None:
    first, second = await asyncio.gather(closing.closer().close_due(),
                                         closing.closer().close_due())
    assert sorted(first + second) == ["2026-01", "2026-02", "2026-03"]
    assert sorted(closing.closes()) == [(f"period-2026-0{m}", "system") for m in (1, 2, 3)]


async def test_a_close_that_slipped_through_is_taken_quietly(closing: Closing) -> None:
    """Its stream version is used though the write model has no close: a conflict."""
    async with closing.store.unit(Context(Principal("elsewhere", "admin"))) as uow:
        uow.record(PeriodClosed(period="2026-01"), "period-2026-01", 1, "*")
    assert await closing.closer().close_due() == ["2026-02", "2026-03"]
    assert len([s for s, _ in closing.closes() if s == "period-2026-01"]) == 1
