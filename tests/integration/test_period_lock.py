"""Periods lock by themselves, on the real event store: from the close day on, nothing dated
in the period is accepted even before its close is recorded, and the period closer records
``PeriodClosed`` with the system as actor, once, however many closers run."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.intake.adapters.tables import events
from services.intake.bootstrap import Intake
from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.settings import IntakeSettings
from shared.auth import Principal
from shared.clock import FixedClock
from shared.policy import default_policy_path, load_policy
from shared.settings import KafkaSettings
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

WIB = ZoneInfo("Asia/Jakarta")
ADMIN = Principal("admin", "admin")
BOSS, STAFF = "196804111993031009", "199001012015032001"
INDICATORS = ["integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama"]


def moment(day: int, month: int = 4, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=WIB)


@pytest.fixture
async def store(create_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[
    tuple[Intake, FixedClock]
]:
    """An intake on a fresh store at 3 April 2026: policy from March (close day 10, a wide
    backdating window), a head and a staff member, and March activities."""
    settings = IntakeSettings(database_url=await create_database("intake"))
    clock = FixedClock(moment(3))
    intake = Intake(settings, KafkaSettings(), clock)
    policy = load_policy(default_policy_path()).model_copy(update={
        "version": "lock-test", "effective_from": "2026-03", "backdating_days": 60})
    await ok(intake, ADMIN, policy)
    for nip, structural in ((BOSS, True), (STAFF, False)):
        await ok(intake, ADMIN, c.RegisterEmployee(nip=nip, name="Pegawai", unit="U",
                                                   position="Staf", structural=structural))
    await ok(intake, ADMIN, c.ChangeReportingLine(nip=STAFF, superior_nip=BOSS,
                                                  effective_from=date(2026, 1, 1)))
    try:
        yield intake, clock
    finally:
        await intake.close()


async def run(intake: Intake, principal: Principal, command: Any) -> Any:
    (result,) = await intake.execute(principal, [command])
    return result


async def ok(intake: Intake, principal: Principal, command: Any) -> dict[str, Any]:
    result = await run(intake, principal, command)
    assert not isinstance(result, Rejected), result
    return result  # type: ignore[no-any-return]


async def refused(intake: Intake, principal: Principal, command: Any) -> str:
    result = await run(intake, principal, command)
    assert isinstance(result, Rejected), result
    return result.code


def report(day: date) -> c.ReportActivity:
    return c.ReportActivity(activity_id=uuid.uuid4(), nip=STAFF, work_date=day, minutes=60,
                            description="Menyusun laporan")


def review(period: str = "2026-03") -> c.SubmitBehaviourReview:
    return c.SubmitBehaviourReview(period=period, ratee_nip=STAFF,
                                   scores=dict.fromkeys(INDICATORS, 80))


async def closes(intake: Intake) -> list[tuple[str, str]]:
    async with intake.engine.connect() as conn:
        rows = await conn.execute(select(events.c.stream_id, events.c.actor)
                                  .where(events.c.event_type == "PeriodClosed")
                                  .order_by(events.c.position))
        return [(row.stream_id, row.actor) for row in rows]


async def test_the_close_day_locks_before_any_close_is_recorded(
        store: tuple[Intake, FixedClock]) -> None:
    intake, clock = store
    boss = Principal(BOSS, "superior")
    staff = Principal(STAFF, "employee")
    waiting = report(date(2026, 3, 31))
    clock.move_to(moment(9, hour=23))  # the day before the close day: still open
    await ok(intake, staff, waiting)
    decided = report(date(2026, 3, 30))
    await ok(intake, staff, decided)
    await ok(intake, boss, c.DecideActivity(activity_id=decided.activity_id,
                                            decision="approved"))

    clock.move_to(moment(10, hour=0))  # the close day, no close recorded yet
    assert await closes(intake) == []
    assert await refused(intake, staff, report(date(2026, 3, 31))) == "period_closed"
    assert await refused(intake, boss, c.DecideActivity(
        activity_id=waiting.activity_id, decision="approved")) == "period_closed"
    assert await refused(intake, boss, review()) == "period_closed"
    policy = load_policy(default_policy_path()).model_copy(update={
        "version": "into-march", "effective_from": "2026-03"})
    assert await refused(intake, ADMIN, policy) == "period_closed"
    # April is open: work and reviews dated in it are accepted
    await ok(intake, staff, report(date(2026, 4, 10)))
    await ok(intake, boss, review("2026-04"))
    assert await refused(intake, boss, review("2026-05")) == "period_in_future"


async def test_the_closer_records_each_due_period_once_as_system(
        store: tuple[Intake, FixedClock]) -> None:
    intake, clock = store
    assert await intake.period_closer.close_due() == []  # 3 April: March is still open
    clock.move_to(moment(9, month=6))
    assert await intake.period_closer.close_due() == ["2026-03", "2026-04"]  # not May yet
    assert await closes(intake) == [("period-2026-03", "system"), ("period-2026-04", "system")]
    assert await intake.period_closer.close_due() == []  # idempotent
    # the admin may still close early: May, before its close day
    await ok(intake, ADMIN, c.ClosePeriod(period="2026-05"))
    assert await refused(intake, ADMIN, c.ClosePeriod(period="2026-05")) == "period_closed"
    clock.move_to(moment(12, month=6))  # May's close day has come; its close is recorded
    assert await intake.period_closer.close_due() == []
    assert [stream for stream, _ in await closes(intake)] == [
        "period-2026-03", "period-2026-04", "period-2026-05"]


async def test_concurrent_closers_close_once(store: tuple[Intake, FixedClock]) -> None:
    intake, clock = store
    clock.move_to(moment(9, month=5))  # March is due (April only tomorrow)
    twins = [Intake(intake.settings, KafkaSettings(), clock) for _ in range(3)]
    try:
        results = await asyncio.gather(*(twin.period_closer.close_due()
                                         for twin in [intake, *twins]))
    finally:
        for twin in twins:
            await twin.close()
    assert sorted(period for closed in results for period in closed) == ["2026-03"]
    assert await closes(intake) == [("period-2026-03", "system")]


async def test_the_supervised_loop_closes_periodically_and_survives_failures(
        store: tuple[Intake, FixedClock], monkeypatch: pytest.MonkeyPatch) -> None:
    intake, clock = store
    closer = intake.period_closer
    monkeypatch.setattr(closer, "_interval_s", 0.05)
    real, failures = closer.close_due, [2]

    async def flaky() -> list[str]:
        if failures[0]:
            failures[0] -= 1
            raise ConnectionResetError("database away (simulated)")
        return await real()

    monkeypatch.setattr(closer, "close_due", flaky)
    task = asyncio.create_task(closer.run())
    try:
        clock.move_to(moment(10))
        await eventually(lambda: closes(intake), timeout=10, what="the period closed")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert failures == [0]
    assert await closes(intake) == [("period-2026-03", "system")]
