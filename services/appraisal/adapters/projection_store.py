"""Applies batches of Kafka records to the projections, exactly once.

One database transaction per batch holds the projection changes *and* the consumed
offsets; a record below the stored offset, or an event at or below the partition's last
applied global position (the relay re-publishes after a crash), is skipped. A crash at any
point therefore leaves the projections as if the batch never started, or fully applied.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.appraisal.adapters import tables as t
from services.appraisal.domain import projector
from services.appraisal.domain.eligibility import Inputs, compute_rows
from shared.codec import UndecodableEvent, decode_envelope, decode_payload
from shared.envelope import EventEnvelope
from shared.events import (
    ActivityReported,
    Event,
    ReportingLineChanged,
    ReviewSubmitted,
    ValidationReview,
)

CHUNK = 1000


@dataclass(frozen=True)
class Record:
    """The part of a Kafka record the projections need."""

    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None = None
    timestamp_ms: int | None = None


@dataclass
class DeadLetter:
    record: Record
    code: str
    reason: str


@dataclass
class BatchResult:
    applied: int = 0
    skipped: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)
    last_recorded_at: dict[int, datetime] = field(default_factory=dict)


DeadLetterSink = Callable[[list[DeadLetter]], Awaitable[None]]


class ProjectionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def next_offsets(self, topic: str) -> dict[int, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.consumer_positions.c.partition,
                                             t.consumer_positions.c.next_offset)
                                      .where(t.consumer_positions.c.topic == topic))
            return {row.partition: row.next_offset for row in rows}

    async def apply_batch(
        self, records: Sequence[Record], on_dead_letters: DeadLetterSink | None = None
    ) -> BatchResult:
        """Apply a batch in one transaction. Dead letters go to ``on_dead_letters`` before
        the commit, so a crash can repeat a dead letter but never lose one."""
        async with self.engine.begin() as conn:
            result = await apply_in(conn, records)
            if result.dead_letters and on_dead_letters is not None:
                await on_dead_letters(result.dead_letters)
            return result


async def apply_in(conn: AsyncConnection, records: Sequence[Record]) -> BatchResult:
    """Apply records inside the caller's transaction."""
    result = BatchResult()
    if not records:
        return result
    positions = await _load_positions(conn, records[0].topic)
    events: list[tuple[EventEnvelope, Event, int]] = []
    for record in records:
        state = positions.setdefault(record.partition, {"next_offset": 0, "last_position": 0,
                                                        "last_recorded_at": None})
        if record.offset < state["next_offset"]:
            result.skipped += 1
            continue
        state["next_offset"] = record.offset + 1
        try:
            envelope = decode_envelope(record.value)
            event = decode_payload(envelope)
        except UndecodableEvent as exc:
            result.dead_letters.append(DeadLetter(record, exc.code, str(exc)))
            continue
        if (envelope.position or 0) <= state["last_position"]:
            result.skipped += 1  # re-published by the relay after a crash: already applied
            continue
        state["last_position"] = envelope.position
        state["last_recorded_at"] = envelope.recorded_at
        result.last_recorded_at[record.partition] = envelope.recorded_at
        events.append((envelope, event, record.partition))
    ws = await _load_workset(conn, events)
    for envelope, event, partition in events:
        projector.apply(ws, envelope, event, partition)
    await _flush(conn, ws)
    await _recompute_eligibility(conn, ws)
    await _save_positions(conn, records[0].topic, positions)
    result.applied = len(events)
    return result


# -- loading ---------------------------------------------------------------------------------

async def _load_positions(conn: AsyncConnection, topic: str) -> dict[int, dict[str, Any]]:
    query = select(t.consumer_positions).where(t.consumer_positions.c.topic == topic)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()  # a rebalanced twin must wait, then skip what we did
    rows = await conn.execute(query)
    return {row.partition: {"next_offset": row.next_offset, "last_position": row.last_position,
                            "last_recorded_at": row.last_recorded_at} for row in rows}


async def _load_workset(
    conn: AsyncConnection, events: list[tuple[EventEnvelope, Event, int]]
) -> projector.Workset:
    ws = projector.Workset()
    activity_ids = {str(e.review.activity_id) for _, e, _ in events
                    if isinstance(e, ReviewSubmitted)
                    and isinstance(e.review, ValidationReview)}
    for row in await _rows(conn, t.activities, t.activities.c.activity_id, activity_ids):
        ws.activities[row["activity_id"]] = row
    reporters = {e.nip for _, e, _ in events
                 if isinstance(e, ActivityReported | ReportingLineChanged)}
    for row in await _rows(conn, t.reporting_lines, t.reporting_lines.c.nip, reporters):
        ws.lines[row["nip"]].append(row)
    month_keys = {(e.nip, projector.period_of(e.work_date)) for _, e, _ in events
                  if isinstance(e, ActivityReported)}
    month_keys |= {(a["nip"], a["period"]) for a in ws.activities.values()}
    keys = [t.employee_months.c.nip, t.employee_months.c.period]
    for row in await _rows(conn, t.employee_months, tuple_(*keys), month_keys):
        ws.months[(row["nip"], row["period"])] = row
    return ws


async def _rows(conn: AsyncConnection, table: Table, column: Any, keys: Iterable[Any]) -> list[
    dict[str, Any]
]:
    keys = list(keys)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(keys), CHUNK):
        result = await conn.execute(select(table).where(column.in_(keys[start:start + CHUNK])))
        rows.extend(dict(row._mapping) for row in result)
    return rows


# -- writing ---------------------------------------------------------------------------------

async def _flush(conn: AsyncConnection, ws: projector.Workset) -> None:
    await upsert(conn, t.employees, [ws.employees[k] for k in ws.dirty["employees"]])
    await upsert(conn, t.reporting_lines, _last_per_key(ws.new_lines))
    await upsert(conn, t.activities, [ws.activities[k] for k in ws.dirty["activities"]])
    await upsert(conn, t.activity_history, ws.history)
    await upsert(conn, t.employee_months, [ws.months[k] for k in ws.dirty["months"]])
    await upsert(conn, t.behaviour_reviews, [ws.reviews[k] for k in ws.dirty["reviews"]])
    await upsert(conn, t.policies, [ws.policies[k] for k in ws.dirty["policies"]])
    await upsert(conn, t.periods, [ws.closed[k] for k in ws.dirty["closed"]])


def _last_per_key(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({(line["nip"], line["effective_from"]): line for line in lines}.values())


async def upsert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, replacing those with the same primary key."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    keys = [c.name for c in table.primary_key.columns]
    for start in range(0, len(rows), CHUNK):
        statement = dialect.insert(table)
        others = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
        statement = (statement.on_conflict_do_update(index_elements=keys, set_=others)
                     if others else statement.on_conflict_do_nothing(index_elements=keys))
        await conn.execute(statement, rows[start:start + CHUNK])


async def _save_positions(conn: AsyncConnection, topic: str,
                          positions: dict[int, dict[str, Any]]) -> None:
    await upsert(conn, t.consumer_positions,
                 [{"topic": topic, "partition": p, **state} for p, state in positions.items()])


# -- eligibility -----------------------------------------------------------------------------

async def _recompute_eligibility(conn: AsyncConnection, ws: projector.Workset) -> None:
    keys = set(ws.touched)
    for partition, period in ws.sweeps:
        keys |= await _sweep_keys(conn, partition, period)
    if not keys:
        return
    inputs = await _eligibility_inputs(conn, keys)
    await upsert(conn, t.eligibility, compute_rows(inputs, sorted(keys)))


async def _eligibility_inputs(conn: AsyncConnection, keys: set[tuple[str, str]]) -> Inputs:
    nips = {nip for nip, _ in keys}
    month_cols = tuple_(t.employee_months.c.nip, t.employee_months.c.period)
    review_cols = tuple_(t.behaviour_reviews.c.ratee_nip, t.behaviour_reviews.c.period)
    reviews: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in await _rows(conn, t.behaviour_reviews, review_cols, keys):
        reviews[(row["ratee_nip"], row["period"])].append(row)
    return Inputs(
        employees={r["nip"]: r for r in await _rows(conn, t.employees, t.employees.c.nip, nips)},
        months={(r["nip"], r["period"]): r
                for r in await _rows(conn, t.employee_months, month_cols, keys)},
        reviews=reviews,
        policies=[dict(r._mapping) for r in await conn.execute(select(t.policies))],
        closed=set((await conn.execute(select(t.periods.c.period))).scalars()),
    )


async def _sweep_keys(conn: AsyncConnection, partition: int, from_period: str) -> set[
    tuple[str, str]
]:
    """Every employee of a partition, for every known period from ``from_period`` on."""
    periods: set[str] = set()
    for table in (t.employee_months, t.periods):
        result = await conn.execute(select(table.c.period).distinct()
                                    .where(table.c.period >= from_period))
        periods |= {row.period for row in result}
    nips = (await conn.execute(select(t.employees.c.nip)
                               .where(t.employees.c.partition == partition))).scalars().all()
    return {(nip, period) for nip in nips for period in periods}
