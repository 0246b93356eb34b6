"""A small but complete event history, made through intake's own handlers, and a "live"
projection built the way production builds it: relay -> Kafka -> apply_records."""

import asyncio
import contextlib
import uuid
from datetime import date, timedelta
from typing import Any

from aiokafka import TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.domain.records import Record
from services.appraisal.projections import REGISTRY
from services.appraisal.projections.registry import Registry
from services.appraisal.service_layer.batches import apply_records
from services.intake.adapters.relay import Relay
from services.intake.adapters.unit_of_work import PostgresUnitOfWork
from services.intake.bootstrap import asyncpg_dsn
from services.intake.domain import commands as c
from services.intake.service_layer.handlers import handle
from services.intake.service_layer.ports import Context
from shared.auth import Principal
from shared.codec import decode_envelope
from shared.kafka import raw_consumer, streaming_producer
from shared.policy import default_policy_path, load_policy
from shared.settings import KafkaSettings
from tests.support.keys import TEST_KEYS
from tests.support.pseudonyms import pseudonyms
from tests.support.waiting import eventually

KAFKA = KafkaSettings().access()
ADMIN = Principal("admin", "admin")
BOSS = "196804111993031009"
TOP = "196001011985031001"
"""BOSS's superior: decides the objections to BOSS's ratings."""
STAFF = ["199001012015032001", "198505052010011002", "197512312000121003",
         "198001012005011001", "199203152018012004"]
INDICATORS = ["integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama"]


async def run(engine: AsyncEngine, principal: Principal, command: Any, today: date) -> Any:
    async with PostgresUnitOfWork(engine, Context(principal), TEST_KEYS) as uow:
        return await handle(uow, command, today)


def workdays(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


async def make_history(engine: AsyncEngine, days: int = 4) -> dict[str, Any]:
    """Policy, roster, reporting lines, activities in Feb and March 2026, decisions, 360
    reviews, February closed. Returns the ids a test may want to look at."""
    start = date(2026, 1, 20)
    await run(engine, ADMIN, load_policy(default_policy_path()), start)
    for nip in [TOP, BOSS, *STAFF]:
        await run(engine, ADMIN, c.RegisterEmployee(
            nip=nip, name=f"Pegawai {nip[-4:]}", unit="BAPENDA-SAMSAT",
            position="Staf" if nip in STAFF else "Kepala", structural=nip not in STAFF), start)
    for nip, superior in [(BOSS, TOP), *((nip, BOSS) for nip in STAFF)]:
        await run(engine, ADMIN, c.ChangeReportingLine(
            nip=nip, superior_nip=superior, effective_from=date(2026, 1, 1)), start)
    activities: list[tuple[str, uuid.UUID, date]] = []
    for month_start in (date(2026, 2, 2), date(2026, 3, 2)):
        for day in workdays(month_start, days):
            for i, nip in enumerate(STAFF):
                activity = uuid.uuid4()
                await run(engine, Principal(nip, "employee"), c.ReportActivity(
                    activity_id=activity, nip=nip, work_date=day, minutes=240 + 10 * i,
                    description="Pelayanan pembayaran PKB", external_ref=None), day)
                activities.append((nip, activity, day))
    decisions = ["approved", "approved", "rejected", "revision_requested"]
    decided: dict[uuid.UUID, str] = {}
    for n, (_, activity, day) in enumerate(activities):
        if n % 7 == 6:
            continue  # some stay pending
        decision = decisions[n % 4] if n % 3 == 0 else "approved"
        await run(engine, Principal(BOSS, "superior"), c.DecideActivity(
            activity_id=activity, decision=decision, note=None), day + timedelta(days=1))
        decided[activity] = decision
    revised = await revise_sent_back(engine, activities, decided)
    await record_attendance(engine, days)
    for ratee in STAFF:
        await run(engine, Principal(BOSS, "superior"), c.SubmitBehaviourReview(
            period="2026-02", ratee_nip=ratee,
            scores={k: 80 + len(ratee) % 7 for k in INDICATORS}), date(2026, 2, 27))
        for rater in STAFF:
            if rater != ratee:
                await run(engine, Principal(rater, "employee"), c.SubmitBehaviourReview(
                    period="2026-02", ratee_nip=ratee,
                    scores={k: 70 + int(rater[-1]) for k in INDICATORS}), date(2026, 2, 27))
    await run(engine, ADMIN, c.ClosePeriod(period="2026-02"), date(2026, 3, 11))
    await object_to_february(engine)
    return {"activities": activities, "decided": decided, "revised": revised}


FEED = Principal("e-presensi", "eservice")


async def record_attendance(engine: AsyncEngine, days: int) -> None:
    """Check-ins and check-outs of the first ``days`` working days of February and March
    (STAFF[0] 15 minutes late on the first, STAFF[2] never checks out on the second),
    STAFF[1] away on 6 February, justified on 2 March and approved; STAFF[3]'s March
    justification waits. February (18 working days: 16 and 17 are holidays) is closed
    later, so STAFF[0] is absent 14 days: 100 - 0.5 - 14 x 3 = 57.50."""
    for month_start in (date(2026, 2, 2), date(2026, 3, 2)):
        for n, day in enumerate(workdays(month_start, days)):
            for i, nip in enumerate(STAFF):
                check_in = "07:45" if (i, n) == (0, 0) else "07:30"
                punches = [("check_in", check_in)] + ([] if (i, n) == (2, 1)
                                                       else [("check_out", "16:00")])
                for kind, time in punches:
                    await run(engine, FEED, c.RecordAttendance(
                        device_record_id=f"{nip[-6:]}-{day.isoformat()}-{kind}", nip=nip,
                        day=day, kind=kind, time=time), day)  # type: ignore[arg-type]
    justify = [(STAFF[1], date(2026, 2, 6), date(2026, 3, 2), True),
               (STAFF[3], date(2026, 3, 3), date(2026, 3, 4), False)]
    for nip, day, today, approve in justify:
        justification = uuid.uuid4()
        await run(engine, Principal(nip, "employee"), c.JustifyAbsence(
            justification_id=justification, nip=nip, first_day=day, last_day=day,
            reason="sick", evidence_ref="SKD-2026-117"), today)
        if approve:
            await run(engine, Principal(BOSS, "superior"), c.DecideJustification(
                justification_id=justification, decision="approved", note=None), today)


async def object_to_february(engine: AsyncEngine) -> None:
    """STAFF[1] objects and TOP upholds it with 3,000 approved minutes; STAFF[2]'s
    objection is rejected; STAFF[3]'s waits. STAFF[0]'s month is left as rated."""
    for nip in STAFF[1:4]:
        await run(engine, Principal(nip, "employee"), c.FileObjection(
            period="2026-02", reasons="Kegiatan lapangan tidak dihitung"), date(2026, 3, 12))
    for nip, outcome, minutes in ((STAFF[1], "upheld", 3000), (STAFF[2], "rejected", None)):
        await run(engine, Principal(TOP, "superior"), c.DecideObjection(
            nip=nip, period="2026-02", outcome=outcome, reason="Sesuai bukti",
            approved_minutes=minutes), date(2026, 3, 16))


async def revise_sent_back(engine: AsyncEngine, activities: list[tuple[str, uuid.UUID, date]],
                           decided: dict[uuid.UUID, str]) -> set[uuid.UUID]:
    """The owners amend what was sent back to 200 minutes (one moves it to the next day);
    the superior approves all but the last amendment, which stays pending. Returns the
    activities amended."""
    sent_back = [(nip, a, day) for nip, a, day in activities
                 if decided.get(a) == "revision_requested"]
    for n, (nip, activity, day) in enumerate(sent_back):
        await run(engine, Principal(nip, "employee"), c.ReviseActivity(
            activity_id=activity, minutes=200, description="Pelayanan PKB, bukti dilengkapi",
            work_date=day + timedelta(days=1) if n == 0 else None), day + timedelta(days=2))
        decided[activity] = "pending"
        if n < len(sent_back) - 1:
            await run(engine, Principal(BOSS, "superior"), c.DecideActivity(
                activity_id=activity, decision="approved", note=None), day + timedelta(days=3))
            decided[activity] = "approved"
    return {activity for _, activity, _ in sent_back}


async def publish_all(url: str, engine: AsyncEngine, topic: str, head: int) -> None:
    """Run the real relay until the whole store is on ``topic``."""
    relay = Relay(engine, asyncpg_dsn(url), lambda: streaming_producer(KAFKA), topic,
                  batch_size=500, idle_poll_s=0.2, pseudonyms=pseudonyms())
    task = asyncio.create_task(relay.run())
    try:
        def done() -> bool:
            if task.done():
                task.result()  # surfaces the relay's error
            return relay.published_position >= head
        await eventually(done, timeout=60, what="the whole store published")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def consume_into(engine: AsyncEngine, topic: str, partitions: int, batch: int = 37,
                       stop_at_position: int | None = None, pause: float = 0.0,
                       registry: Registry = REGISTRY) -> None:
    """Apply the whole topic with apply_records in small batches, as the live consumer does
    (optionally stopping every partition at a global position)."""
    consumer = raw_consumer(KAFKA, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        done = {tp for tp in tps if end[tp] == 0}
        while len(done) < len(tps):
            fetched = await consumer.getmany(timeout_ms=500, max_records=batch)
            records = []
            for tp, messages in fetched.items():
                for m in messages:
                    if tp in done or m.offset >= end[tp]:
                        break
                    if stop_at_position is not None and (
                            decode_envelope(m.value).position or 0) > stop_at_position:
                        done.add(tp)
                        break
                    records.append(Record(m.topic, m.partition, m.offset, m.value, m.key,
                                          m.timestamp))
                    if m.offset + 1 >= end[tp]:
                        done.add(tp)
            if records:
                async with engine.begin() as conn:
                    await apply_records(conn, records, registry)
                await asyncio.sleep(pause)
    finally:
        await consumer.stop()
