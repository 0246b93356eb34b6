"""One contract, two implementations: every test runs against the in-memory fakes and against
PostgreSQL (a fresh migrated database each), so the fakes the service-layer tests use keep
behaving like the real adapters.

What a unit of work promises the handlers: facts read back its own writes at once (cached
or not), commits all or nothing, appends in one gap-free order, refuses a used stream
version (:class:`ConcurrencyConflict`) and keeps nothing then.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.intake.adapters import event_store
from services.intake.adapters.memory import InMemoryStore
from services.intake.adapters.unit_of_work import PostgresUnitOfWork, committed_facts
from services.intake.domain import commands as c
from services.intake.domain.activity import Activity
from services.intake.domain.attendance import AttendanceFacts, JustificationFacts
from services.intake.domain.facts import EmployeeFacts, ObjectionFacts
from services.intake.service_layer.period_state import period_closed
from services.intake.service_layer.ports import (
    ConcurrencyConflict,
    Context,
    FactReader,
    UnitOfWork,
    Wanted,
)
from shared.auth import Principal
from shared.db import make_engine
from shared.envelope import EventEnvelope
from shared.events import PeriodClosed
from shared.policy import Policy, default_policy_path, load_policy
from tests.support.keys import TEST_KEYS
from tests.support.waiting import never

pytestmark = pytest.mark.integration

ADMIN = Context(Principal("admin", "admin"))
SAMSAT = "e-samsat"
BOSS, STAFF, OTHER = "196804111993031009", "199001012015032001", "198505052010011002"
DAY = date(2026, 3, 2)
POLICY = load_policy(default_policy_path())  # effective from 2026-01, close_day 10


@dataclass
class Backend:
    name: str
    unit: Callable[[Context], UnitOfWork]
    committed: Callable[[], AbstractAsyncContextManager[FactReader]]
    events: Callable[[], Awaitable[list[EventEnvelope]]]


@pytest.fixture(params=["memory", "postgres"])
async def backend(request: pytest.FixtureRequest, create_database: Any) -> (
    AsyncIterator[Backend]
):
    if request.param == "memory":
        store = InMemoryStore()

        async def stored() -> list[EventEnvelope]:
            return list(store.events)

        yield Backend("memory", store.unit, store.committed_facts, stored)
        return
    engine = make_engine(await create_database("intake"))

    async def read_store() -> list[EventEnvelope]:
        async with engine.connect() as conn:
            return await event_store.read_after(conn, 0, 10_000)

    try:
        yield Backend("postgres", lambda context: PostgresUnitOfWork(engine, context, TEST_KEYS),
                      lambda: committed_facts(engine), read_store)
    finally:
        await engine.dispose()


def activity(activity_id: uuid.UUID | None = None, minutes: int = 60, day: date = DAY,
             ref: str | None = "ESMT-1", status: str = "pending") -> Activity:
    return Activity(activity_id or uuid.uuid4(), STAFF, day, minutes, SAMSAT, ref, status, 1,
                    uuid.uuid4())


def employee(nip: str, unit: str = "SAMSAT-01", structural: bool = False) -> (
    c.RegisterEmployee
):
    return c.RegisterEmployee(nip=nip, name="Pegawai", unit=unit, position="Staf",
                              structural=structural)


def closed(period: str) -> PeriodClosed:
    return PeriodClosed(period=period)


async def test_commits_append_in_one_gap_free_order(backend: Backend) -> None:
    async with backend.unit(ADMIN) as uow:
        first = [uow.record(closed("2026-01"), "s-1", v, BOSS) for v in (1, 2)]
    async with backend.unit(ADMIN) as uow:
        pass  # an empty unit appends nothing
    async with backend.unit(Context(Principal(STAFF, "employee"))) as uow:
        later = uow.record(closed("2026-01"), "s-2", 1, STAFF)
    assert [r.position for r in [*first, later]] == [1, 2, 3]
    stored = await backend.events()
    assert [(e.position, e.stream_id, e.stream_version) for e in stored] == [
        (1, "s-1", 1), (2, "s-1", 2), (3, "s-2", 1)]
    assert [e.actor for e in stored] == ["admin", "admin", STAFF]
    assert stored[2].event_id == later.envelope.event_id


async def test_a_used_stream_version_conflicts_and_keeps_nothing(backend: Backend) -> None:
    async with backend.unit(ADMIN) as uow:
        uow.record(closed("2026-01"), "period-2026-01", 1, BOSS)
    with pytest.raises(ConcurrencyConflict):
        async with backend.unit(ADMIN) as uow:
            await uow.writes.save_employee(employee(STAFF), 1)
            uow.record(closed("2026-02"), "period-2026-02", 1, BOSS)  # fine alone ...
            uow.record(closed("2026-01"), "period-2026-01", 1, BOSS)  # ... but this is used
    with pytest.raises(ConcurrencyConflict):
        async with backend.unit(ADMIN) as uow:
            uow.record(closed("2026-03"), "twice", 1, BOSS)
            uow.record(closed("2026-03"), "twice", 1, BOSS)
    assert [e.stream_id for e in await backend.events()] == ["period-2026-01"]
    async with backend.committed() as facts:
        assert await facts.employee(STAFF) is None
    async with backend.unit(ADMIN) as uow:  # the store goes on without a gap
        assert uow.record(closed("2026-01"), "period-2026-01", 2, BOSS)
    assert [e.position for e in await backend.events()] == [1, 2]


async def test_a_failing_unit_leaves_nothing(backend: Backend) -> None:
    with pytest.raises(RuntimeError):
        async with backend.unit(ADMIN) as uow:
            await uow.writes.save_employee(employee(STAFF), 1)
            uow.writes.add_activity(activity())
            uow.writes.count_minutes(STAFF, DAY, 60)
            await uow.writes.record_close("2026-01", datetime.now(UTC))
            await uow.writes.save_policy(POLICY, POLICY.model_dump(mode="json"), 1)
            uow.record(closed("2026-01"), "s", 1, BOSS)
            raise RuntimeError("a handler failed")
    assert await backend.events() == []
    async with backend.committed() as facts:
        assert await facts.employee(STAFF) is None
        assert await facts.activity_by_ref(SAMSAT, "ESMT-1") is None
        assert await facts.minutes_on(STAFF, DAY) == 0
        assert await facts.recorded_closes() == set()
        assert await facts.policies() == []


async def test_roster_facts_read_back_in_the_unit_and_after(backend: Backend) -> None:
    async with backend.unit(ADMIN) as uow:
        assert await uow.facts.employee(STAFF) is None  # cached as unknown ...
        await uow.writes.save_employee(employee(STAFF), 1)
        assert await uow.facts.employee(STAFF) == EmployeeFacts(STAFF, "SAMSAT-01", False)
        await uow.writes.save_employee(employee(STAFF, "SAMSAT-02", True), 2)  # ... corrected
        assert await uow.facts.employee(STAFF) == EmployeeFacts(STAFF, "SAMSAT-02", True)
        await uow.writes.set_employee_version(STAFF, 3)
        assert await uow.facts.employee_version(STAFF) == 3
        await uow.writes.save_review_version("2026-02", BOSS, STAFF, 1)
        assert await uow.facts.review_version("2026-02", BOSS, STAFF) == 1
        assert await uow.facts.payment_version("2026-02", "SAMSAT-01") == 0
        await uow.writes.save_payment_version("2026-02", "SAMSAT-01", 1)
        await uow.writes.save_payment_version("2026-02", "SAMSAT-01", 2)  # a correction
        assert await uow.facts.payment_version("2026-02", "SAMSAT-01") == 2
    async with backend.committed() as facts:
        assert await facts.payment_version("2026-02", "SAMSAT-01") == 2
        assert await facts.payment_version("2026-02", "SAMSAT-02") == 0
        assert await facts.payment_version("2026-03", "SAMSAT-01") == 0
        assert await facts.employee(STAFF) == EmployeeFacts(STAFF, "SAMSAT-02", True)
        assert await facts.employee_version(STAFF) == 3
        assert await facts.employee_version(OTHER) == 0
        assert await facts.review_version("2026-02", BOSS, STAFF) == 1
        assert await facts.review_version("2026-02", STAFF, BOSS) == 0


async def test_an_objection_reads_back_filed_then_decided(backend: Backend) -> None:
    filed = ObjectionFacts(STAFF, "2026-02", BOSS, decided=False)
    async with backend.unit(ADMIN) as uow:
        assert await uow.facts.objection(STAFF, "2026-02") is None
        await uow.writes.save_objection(filed)
        assert await uow.facts.objection(STAFF, "2026-02") == filed
    async with backend.unit(ADMIN) as uow:
        await uow.writes.save_objection(ObjectionFacts(STAFF, "2026-02", BOSS, decided=True))
    async with backend.committed() as facts:
        assert await facts.objection(STAFF, "2026-02") == ObjectionFacts(
            STAFF, "2026-02", BOSS, decided=True)
        assert await facts.objection(STAFF, "2026-03") is None
        assert await facts.objection(OTHER, "2026-02") is None


async def test_the_superior_on_a_date_follows_the_effective_dates(backend: Backend) -> None:
    async with backend.unit(ADMIN) as uow:
        for since, superior in [(date(2026, 1, 1), BOSS), (date(2026, 3, 1), OTHER),
                                (date(2026, 5, 1), None)]:
            await uow.writes.save_reporting_line(c.ChangeReportingLine(
                nip=STAFF, superior_nip=superior, effective_from=since))
        assert await uow.facts.superior_on(STAFF, date(2026, 2, 28)) == BOSS
    async with backend.committed() as facts:
        assert await facts.superior_on(STAFF, date(2025, 12, 31)) is None
        assert await facts.superior_on(STAFF, date(2026, 1, 1)) == BOSS
        assert await facts.superior_on(STAFF, date(2026, 3, 1)) == OTHER
        assert await facts.superior_on(STAFF, date(2026, 4, 30)) == OTHER
        assert await facts.superior_on(STAFF, date(2026, 5, 1)) is None
        assert await facts.superior_on(BOSS, date(2026, 3, 1)) is None
    async with backend.unit(ADMIN) as uow:  # a line corrected for the same date
        await uow.writes.save_reporting_line(c.ChangeReportingLine(
            nip=STAFF, superior_nip=BOSS, effective_from=date(2026, 3, 1)))
        assert await uow.facts.superior_on(STAFF, date(2026, 3, 15)) == BOSS


async def test_a_new_activity_is_seen_by_id_and_reference_at_once(backend: Backend) -> None:
    reported = activity()
    async with backend.unit(ADMIN) as uow:
        assert await uow.facts.activity(reported.activity_id) is None
        assert await uow.facts.activity_by_ref(SAMSAT, "ESMT-1") is None
        uow.writes.add_activity(reported)
        assert await uow.facts.activity(reported.activity_id) == reported
        assert await uow.facts.activity_by_ref(SAMSAT, "ESMT-1") == reported
    async with backend.committed() as facts:
        assert await facts.activity(reported.activity_id) == reported
        assert await facts.activity_by_ref(SAMSAT, "ESMT-1") == reported
        assert await facts.activity_by_ref("other-source", "ESMT-1") is None
        assert await facts.activity_by_ref(SAMSAT, "ESMT-2") is None
        assert await facts.activity(uuid.uuid4()) is None


async def test_attendance_records_read_back_by_device_id_and_by_day(backend: Backend) -> (
    None
):
    check_in = AttendanceFacts("e-presensi", "FP-1", STAFF, DAY, "check_in", "07:31", None,
                               uuid.uuid4())
    absent = AttendanceFacts("e-presensi", "FP-2", STAFF, date(2026, 3, 3), "absence", None,
                             "sick", uuid.uuid4())
    async with backend.unit(ADMIN) as uow:
        assert await uow.facts.attendance_record("e-presensi", "FP-1") is None
        await uow.writes.add_attendance(check_in)
        await uow.writes.add_attendance(absent)
        assert await uow.facts.attendance_record("e-presensi", "FP-1") == check_in
        assert await uow.facts.attendance_on(STAFF, DAY) == [check_in]
    async with backend.committed() as facts:
        assert await facts.attendance_record("e-presensi", "FP-2") == absent
        assert await facts.attendance_record("other-source", "FP-1") is None
        assert await facts.attendance_on(STAFF, date(2026, 3, 3)) == [absent]
        assert await facts.attendance_on(OTHER, DAY) == []


async def test_justifications_read_back_by_id_and_month(backend: Backend) -> None:
    march = JustificationFacts(uuid.uuid4(), STAFF, date(2026, 3, 30), date(2026, 3, 31),
                               "sick", "SKD-1", "pending", 1, uuid.uuid4())
    april = JustificationFacts(uuid.uuid4(), STAFF, date(2026, 4, 1), date(2026, 4, 1),
                               "leave", "CUTI-7", "pending", 1, uuid.uuid4())
    async with backend.unit(ADMIN) as uow:
        await uow.writes.save_justification(march)
        await uow.writes.save_justification(april)
        approved = JustificationFacts(**{**march.__dict__, "status": "approved", "version": 2})
        await uow.writes.save_justification(approved)
        assert await uow.facts.justification(march.justification_id) == approved
    async with backend.committed() as facts:
        assert await facts.justification(march.justification_id) == approved
        assert await facts.justification(uuid.uuid4()) is None
        assert await facts.justifications_of(STAFF, "2026-03") == [approved]
        assert await facts.justifications_of(STAFF, "2026-04") == [april]
        assert await facts.justifications_of(OTHER, "2026-03") == []


async def test_a_decided_or_revised_activity_reads_back_its_new_state(backend: Backend) -> (
    None
):
    old, new = activity(ref="ESMT-OLD"), activity(ref="ESMT-NEW")
    async with backend.unit(ADMIN) as uow:
        uow.writes.add_activity(old)
    async with backend.unit(ADMIN) as uow:
        uow.writes.add_activity(new)
        for before in (old, new):
            assert await uow.facts.activity_by_ref(SAMSAT, before.external_ref or "")
            sent_back = before.decided("revision_requested", 2)
            await uow.writes.save_activity(sent_back)
            revised = sent_back.revised(date(2026, 3, 3), 90, 3)
            await uow.writes.save_activity(revised)
            assert await uow.facts.activity(before.activity_id) == revised
            assert await uow.facts.activity_by_ref(SAMSAT, before.external_ref or "") == revised
    async with backend.committed() as facts:
        for before in (old, new):
            stored = await facts.activity(before.activity_id)
            assert stored is not None
            assert (stored.status, stored.version, stored.work_date, stored.minutes) == (
                "pending", 3, date(2026, 3, 3), 90)
            assert stored.as_reported() == (DAY, 60)


async def test_a_days_minutes_run_within_the_unit_and_after(backend: Backend) -> None:
    async with backend.unit(ADMIN) as uow:
        uow.writes.count_minutes(STAFF, DAY, 100)
    async with backend.unit(ADMIN) as uow:
        uow.writes.count_minutes(STAFF, DAY, 20)  # counted before the day is read ...
        assert await uow.facts.minutes_on(STAFF, DAY) == 120
        uow.writes.count_minutes(STAFF, DAY, 30)  # ... and after
        assert await uow.facts.minutes_on(STAFF, DAY) == 150
        uow.writes.count_minutes(STAFF, DAY, -150)  # a revision moving them to another day
        uow.writes.count_minutes(STAFF, date(2026, 3, 3), 150)
        assert await uow.facts.minutes_on(STAFF, DAY) == 0
        assert await uow.facts.minutes_on(STAFF, date(2026, 3, 3)) == 150
    async with backend.committed() as facts:
        assert await facts.minutes_on(STAFF, DAY) == 0
        assert await facts.minutes_on(STAFF, date(2026, 3, 3)) == 150
        assert await facts.minutes_on(OTHER, DAY) == 0


async def test_prefetched_facts_equal_the_ones_read_one_by_one(backend: Backend) -> None:
    known, unknown = activity(ref="ESMT-K"), uuid.uuid4()
    async with backend.unit(ADMIN) as uow:
        await uow.writes.save_employee(employee(STAFF), 1)
        uow.writes.add_activity(known)
        uow.writes.count_minutes(STAFF, DAY, 60)
        await uow.writes.record_close("2026-01", datetime.now(UTC))

    async def read(uow: UnitOfWork) -> list[Any]:
        f = uow.facts
        return [await f.activity(known.activity_id), await f.activity(unknown),
                await f.activity_by_ref(SAMSAT, "ESMT-K"), await f.activity_by_ref(SAMSAT, "X"),
                await f.employee(STAFF), await f.employee(OTHER),
                await f.minutes_on(STAFF, DAY), await f.minutes_on(OTHER, DAY),
                await f.close_recorded("2026-01"), await f.close_recorded("2026-02")]

    async with backend.unit(ADMIN) as uow:
        one_by_one = await read(uow)
    async with backend.unit(ADMIN) as uow:
        uow.writes.count_minutes(STAFF, DAY, 5)  # counted before the prefetch loads the day
        await uow.facts.prefetch(Wanted(
            activity_ids=frozenset({known.activity_id, unknown}),
            refs=frozenset({(SAMSAT, "ESMT-K"), (SAMSAT, "X")}),
            nips=frozenset({STAFF, OTHER}), days=frozenset({(STAFF, DAY), (OTHER, DAY)}),
            periods=frozenset({"2026-01", "2026-02"})))
        prefetched = await read(uow)
    assert prefetched == [*one_by_one[:6], 65, *one_by_one[7:]]
    assert one_by_one[6] == 60 and one_by_one[8:] == [True, False]


async def test_period_state_by_recorded_close_and_by_date(backend: Backend) -> None:
    async with backend.unit(ADMIN) as uow:
        assert await uow.facts.policies() == []
        assert not await period_closed(uow.facts, "2026-03", date(2026, 5, 1))  # no policy
        await uow.writes.save_policy(POLICY, POLICY.model_dump(mode="json"), 1)
        assert await uow.facts.policies() == [POLICY]
        assert await period_closed(uow.facts, "2026-03", date(2026, 4, 10))  # close day came
        assert not await period_closed(uow.facts, "2026-03", date(2026, 4, 9))
        assert not await uow.facts.close_recorded("2026-03")
        await uow.writes.record_close("2026-03", datetime.now(UTC))
        assert await uow.facts.close_recorded("2026-03")
        assert await period_closed(uow.facts, "2026-03", date(2026, 4, 9))
    async with backend.committed() as facts:
        assert await facts.recorded_closes() == {"2026-03"}
        assert await facts.policies() == [POLICY]
        assert await facts.policy_document(POLICY.version) == POLICY.model_dump(mode="json")
        assert await facts.policy_document("unknown") is None
        assert await facts.policy_stream_version() == 1


async def test_policies_come_in_publication_order(backend: Backend) -> None:
    later = Policy.model_validate({**POLICY.model_dump(mode="json"),
                                   "version": "contract-2", "effective_from": "2025-06"})
    async with backend.unit(ADMIN) as uow:
        await uow.writes.save_policy(later, later.model_dump(mode="json"), 2)
        await uow.writes.save_policy(POLICY, POLICY.model_dump(mode="json"), 1)
    async with backend.committed() as facts:
        assert [p.version for p in await facts.policies()] == [POLICY.version, "contract-2"]
        assert await facts.policy_stream_version() == 2


async def test_units_take_turns(backend: Backend) -> None:
    """The second unit waits for the first: its facts include what the first committed."""
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with backend.unit(ADMIN) as uow:
            first_in.set()
            await release.wait()
            uow.writes.count_minutes(STAFF, DAY, 60)
            uow.record(closed("2026-01"), "s", 1, BOSS)

    async def second() -> int:
        await first_in.wait()
        async with backend.unit(ADMIN) as uow:
            seen = await uow.facts.minutes_on(STAFF, DAY)
            uow.record(closed("2026-01"), "s", 2, BOSS)
        return seen

    task = asyncio.create_task(second())
    holder = asyncio.create_task(first())
    await first_in.wait()
    await never(task.done, 0.2, what="the second unit of work going on while the first holds")
    release.set()
    await holder
    assert await asyncio.wait_for(task, 10) == 60
    assert [e.stream_version for e in await backend.events()] == [1, 2]
