"""Applies batches of Kafka records to the projections, exactly once.

One database transaction per batch holds the projection changes *and* the consumed
offsets; a record below the stored offset, or an event at or below the highest global
position already seen on its partition (the relay re-publishes after a crash), is skipped.
A crash at any point therefore leaves the projections as if the batch never started, or
fully applied.

Dead letters and held keys
--------------------------
A record that cannot be decoded becomes a dead letter (row in ``dead_letters``, status
``open``; the caller also publishes it to the dead-letter topic before the commit). While a
dead letter is open its Kafka key is *held* on its partition: later records with that key
are not applied but *parked* (``parked_records``, original bytes and coordinates, in offset
order), in the same transaction as the offsets. Other keys go on.

Broadcast events (key ``*``, written to every partition) are ordered relative to every key
of their partition, so one may only be applied when nothing earlier on the partition is held
back. Hence: a dead-lettered broadcast holds the whole partition, and a broadcast that
arrives while any key of its partition is held is parked and from then on holds the whole
partition. A record without a key is treated like a broadcast (nobody can tell whose order
it belongs to). So the events applied on a partition are always the partition's own order
with held keys' events moved later, but never past a broadcast: per key, and relative to
every broadcast, the order equals a replay of the history.

An operator resolves a dead letter (``retry``: decode it again with the current code and
apply it; ``skip``: give it up). Resolution walks the partition's open dead letters and
parked records in offset order through the same gate the consumer uses, applying every
parked record no longer held (one that still fails to decode becomes a new dead letter),
all in one transaction that also locks the consumer positions, so it serialises with the
consumer and is idempotent.
"""

import contextlib
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import case, delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.appraisal.adapters import tables as t
from services.appraisal.adapters.eligibility_store import recompute_eligibility
from services.appraisal.adapters.rows import CHUNK, rows_where, upsert
from services.appraisal.domain import projector
from shared.codec import UndecodableEvent, decode_envelope, decode_payload, encode
from shared.envelope import EventEnvelope
from shared.events import (
    ActivityReported,
    ActivityRevised,
    EmployeeRegistered,
    Event,
    PeriodClosed,
    ReportingLineChanged,
    ReviewSubmitted,
    ValidationReview,
)
from shared.topics import BROADCAST_KEY


@dataclass(frozen=True)
class Record:
    """The part of a Kafka record the projections need."""

    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None = None
    timestamp_ms: int | None = None
    envelope: EventEnvelope | None = None
    """Already decoded and validated (a rebuild from the store): skips decoding again."""

    def raw(self) -> bytes:
        """The record's bytes (encoded on demand for a pre-decoded record)."""
        return self.value if self.value or self.envelope is None else encode(self.envelope)


@dataclass
class DeadLetter:
    record: Record
    code: str
    reason: str
    id: int | None = None
    """Row id in ``dead_letters`` (set once recorded)."""


@dataclass
class BatchResult:
    applied: int = 0
    skipped: int = 0
    parked: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)
    last_recorded_at: dict[int, datetime] = field(default_factory=dict)


DeadLetterSink = Callable[[list[DeadLetter]], Awaitable[None]]
Decoded = tuple[EventEnvelope, Event, int]  # (envelope, event, partition)


class ProjectionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def next_offsets(self, topic: str) -> dict[int, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.consumer_positions.c.partition,
                                             t.consumer_positions.c.next_offset)
                                      .where(t.consumer_positions.c.topic == topic))
            return {row.partition: row.next_offset for row in rows}

    async def positions(self, topic: str) -> dict[int, dict[str, Any]]:
        """Stored consumer positions by partition (next_offset, last_position, ...)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.consumer_positions)
                                      .where(t.consumer_positions.c.topic == topic))
            return {row.partition: dict(row._mapping) for row in rows}

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

    async def backlog(self, topic: str) -> "Backlog":
        """Held keys and parked records by partition (two aggregate queries)."""
        async with self.engine.connect() as conn:
            return await backlog(conn, topic)

    async def resolve(self, dead_letter_id: int, action: "Action", actor: str = "operator",
                      on_dead_letters: DeadLetterSink | None = None) -> "Resolution":
        """Retry or skip a dead letter and release what it held, in one transaction."""
        async with self.engine.begin() as conn:
            resolution = await resolve_in(conn, dead_letter_id, action, actor)
            if resolution.new_dead_letters and on_dead_letters is not None:
                await on_dead_letters(resolution.new_dead_letters)
            return resolution


# -- the gate: which keys are held ------------------------------------------------------------

def key_of(record: Record) -> str:
    """The hold key of a record: its Kafka key, or ``*`` when it has none."""
    if record.key is None:
        return BROADCAST_KEY
    return record.key.decode("utf-8", errors="replace")


class Gate:
    """Held keys per partition. ``*`` in a partition's set holds the whole partition."""

    def __init__(self, held: dict[int, set[str]] | None = None) -> None:
        self.held: dict[int, set[str]] = defaultdict(set, held or {})

    def blocks(self, partition: int, key: str) -> bool:
        held = self.held.get(partition)
        if not held:
            return False
        return BROADCAST_KEY in held or key in held or key == BROADCAST_KEY

    def hold(self, partition: int, key: str) -> None:
        self.held[partition].add(key)


async def load_gate(conn: AsyncConnection, topic: str) -> Gate:
    gate = Gate()
    rows = await conn.execute(select(t.dead_letters.c.partition, t.dead_letters.c.key)
                              .where(t.dead_letters.c.topic == topic,
                                     t.dead_letters.c.status == "open"))
    for row in rows:
        gate.hold(row.partition, row.key)
    rows = await conn.execute(select(t.parked_records.c.partition).distinct()
                              .where(t.parked_records.c.topic == topic,
                                     t.parked_records.c.key == BROADCAST_KEY))
    for row in rows:
        gate.hold(row.partition, BROADCAST_KEY)
    return gate


def _decode(record: Record) -> tuple[EventEnvelope | None, Event | None, UndecodableEvent | None]:
    try:
        envelope = record.envelope or decode_envelope(record.value)
    except UndecodableEvent as exc:
        return None, None, exc
    if envelope.position is None:
        return envelope, None, UndecodableEvent("contract_violation",
                                                "envelope has no global position")
    try:
        return envelope, decode_payload(envelope), None
    except UndecodableEvent as exc:
        return envelope, None, exc


def _now() -> datetime:
    return datetime.now(UTC)


# -- consuming -------------------------------------------------------------------------------

async def apply_in(conn: AsyncConnection, records: Sequence[Record]) -> BatchResult:
    """Apply records inside the caller's transaction."""
    result = BatchResult()
    if not records:
        return result
    topic = records[0].topic
    positions = await _load_positions(conn, topic, {r.partition for r in records})
    gate = await load_gate(conn, topic)
    events: list[Decoded] = []
    parked: list[dict[str, Any]] = []
    for record in records:
        state = positions.setdefault(record.partition, {"next_offset": 0, "last_position": 0,
                                                        "last_recorded_at": None})
        if record.offset < state["next_offset"]:
            result.skipped += 1
            continue
        state["next_offset"] = record.offset + 1
        envelope, event, error = _decode(record)
        position = envelope.position if envelope is not None else None
        if position is not None:
            if position <= state["last_position"]:
                result.skipped += 1  # re-published by the relay after a crash: already seen
                continue
            # the highest position seen (applied, parked or dead-lettered) on the partition
            state["last_position"] = position
        key = key_of(record)
        if gate.blocks(record.partition, key):
            if key == BROADCAST_KEY:
                gate.hold(record.partition, BROADCAST_KEY)
            parked.append({"topic": record.topic, "partition": record.partition,
                           "offset": record.offset, "key": key, "value": record.raw(),
                           "position": position, "parked_at": _now()})
            continue
        if error is not None or event is None or envelope is None:
            assert error is not None
            gate.hold(record.partition, key)
            result.dead_letters.append(DeadLetter(record, error.code, str(error)))
            continue
        state["last_recorded_at"] = envelope.recorded_at
        result.last_recorded_at[record.partition] = envelope.recorded_at
        events.append((envelope, event, record.partition))
    await _record_dead_letters(conn, result.dead_letters)
    await upsert(conn, t.parked_records, parked)
    await apply_events(conn, events)
    await _save_positions(conn, topic, positions)
    result.applied, result.parked = len(events), len(parked)
    return result


async def apply_events(conn: AsyncConnection, events: list[Decoded]) -> None:
    """Apply decoded, deduplicated events, in order, inside the caller's transaction."""
    if not events:
        return
    ws = await _load_workset(conn, events)
    for envelope, event, partition in events:
        projector.apply(ws, envelope, event, partition)
    await _flush(conn, ws)
    await recompute_eligibility(conn, ws)


async def _record_dead_letters(conn: AsyncConnection, letters: list[DeadLetter]) -> None:
    for letter in letters:
        record = letter.record
        envelope = None
        with contextlib.suppress(UndecodableEvent):
            envelope = decode_envelope(record.raw())
        letter.id = await conn.scalar(
            t.dead_letters.insert().returning(t.dead_letters.c.id).values(
                topic=record.topic, partition=record.partition, offset=record.offset,
                key=key_of(record), code=letter.code, reason=letter.reason,
                value=record.raw(), status="open", created_at=_now(),
                event_type=envelope.event_type if envelope else None,
                position=envelope.position if envelope else None))


# -- resolving dead letters --------------------------------------------------------------------

Action = Literal["retry", "skip"]


class DeadLetterNotFound(LookupError):
    pass


@dataclass
class Resolution:
    dead_letter_id: int
    status: str
    """The dead letter's status afterwards: open (retry failed), retried or skipped."""
    changed: bool
    """False when nothing happened (already resolved: idempotent, or still undecodable)."""
    message: str
    released: int = 0
    """Parked records applied."""
    still_parked: int = 0
    new_dead_letters: list[DeadLetter] = field(default_factory=list)


async def resolve_in(conn: AsyncConnection, dead_letter_id: int, action: Action,
                     actor: str = "operator") -> Resolution:
    """Retry or skip one dead letter, then release the parked records no longer held."""
    letter = (await conn.execute(select(t.dead_letters)
                                 .where(t.dead_letters.c.id == dead_letter_id))).first()
    if letter is None:
        raise DeadLetterNotFound(f"no dead letter {dead_letter_id}")
    await _load_positions(conn, letter.topic, [letter.partition])  # serialise with the consumer
    query = select(t.dead_letters).where(t.dead_letters.c.id == dead_letter_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    letter = (await conn.execute(query)).one()  # re-read under the lock
    done = {"retried": "retry", "skipped": "skip"}
    if letter.status != "open":
        same = done[letter.status] == action
        return Resolution(letter.id, letter.status, False,
                          f"already {letter.status}" + ("" if same else f"; cannot {action}"))
    target = Record(letter.topic, letter.partition, letter.offset, letter.value,
                    letter.key.encode())
    target_event: Decoded | None = None
    if action == "retry":
        envelope, event, error = _decode(target)
        if error is not None or envelope is None or event is None:
            assert error is not None
            await conn.execute(update(t.dead_letters).where(t.dead_letters.c.id == letter.id)
                               .values(code=error.code, reason=str(error)))
            return Resolution(letter.id, "open", False,
                              f"still undecodable ({error.code}): {error}")
        target_event = (envelope, event, letter.partition)
    status = "retried" if action == "retry" else "skipped"
    await conn.execute(update(t.dead_letters).where(t.dead_letters.c.id == letter.id)
                       .values(status=status, resolved_at=_now(), resolved_by=actor))
    resolution = Resolution(letter.id, status, True, f"{status}")
    await _release(conn, letter, target_event, resolution)
    resolution.message = (f"{status}; {resolution.released} parked record(s) applied, "
                          f"{resolution.still_parked} still held")
    return resolution


async def _release(conn: AsyncConnection, letter: Any, target: Decoded | None,
                   resolution: Resolution) -> None:
    """Walk the partition's open dead letters and parked records in offset order through
    the consumer's gate; apply what is no longer held (and the retried letter in its place)."""
    topic, partition = letter.topic, letter.partition
    open_letters = (await conn.execute(
        select(t.dead_letters.c.offset, t.dead_letters.c.key)
        .where(t.dead_letters.c.topic == topic, t.dead_letters.c.partition == partition,
               t.dead_letters.c.status == "open"))).all()
    parked = (await conn.execute(
        select(t.parked_records).where(t.parked_records.c.topic == topic,
                                       t.parked_records.c.partition == partition)
        .order_by(t.parked_records.c.offset))).all()
    items: list[tuple[int, str, Any]] = [(row.offset, "letter", row) for row in open_letters]
    items += [(row.offset, "parked", row) for row in parked]
    if target is not None:
        items.append((letter.offset, "target", target))
    items.sort(key=lambda item: item[0])
    gate, events, released = Gate(), [], []
    for offset, kind, item in items:
        if kind == "letter":
            gate.hold(partition, item.key)
        elif kind == "target":
            events.append(item)
        else:
            if gate.blocks(partition, item.key):
                if item.key == BROADCAST_KEY:
                    gate.hold(partition, BROADCAST_KEY)
                resolution.still_parked += 1
                continue
            released.append(offset)
            record = Record(topic, partition, offset, item.value, item.key.encode())
            envelope, event, error = _decode(record)
            if error is not None or envelope is None or event is None:
                assert error is not None
                gate.hold(partition, item.key)
                resolution.new_dead_letters.append(DeadLetter(record, error.code, str(error)))
                continue
            events.append((envelope, event, partition))
    for start in range(0, len(released), CHUNK):
        await conn.execute(delete(t.parked_records).where(
            t.parked_records.c.topic == topic, t.parked_records.c.partition == partition,
            t.parked_records.c.offset.in_(released[start:start + CHUNK])))
    await _record_dead_letters(conn, resolution.new_dead_letters)
    await apply_events(conn, events)
    resolution.released = len(events) - (1 if target is not None else 0)


# -- backlog (for metrics and the operator) ----------------------------------------------------

@dataclass
class Backlog:
    held_keys: dict[int, int] = field(default_factory=dict)
    parked: dict[int, int] = field(default_factory=dict)
    open_dead_letters: dict[str, int] = field(default_factory=dict)
    """Open dead letters by code."""


async def backlog(conn: AsyncConnection, topic: str) -> Backlog:
    result = Backlog()
    rows = await conn.execute(
        select(t.dead_letters.c.partition, t.dead_letters.c.code, t.dead_letters.c.key)
        .where(t.dead_letters.c.topic == topic, t.dead_letters.c.status == "open"))
    held: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        held[row.partition].add(row.key)
        result.open_dead_letters[row.code] = result.open_dead_letters.get(row.code, 0) + 1
    rows = await conn.execute(
        select(t.parked_records.c.partition, func.count(),
               func.sum(case((t.parked_records.c.key == BROADCAST_KEY, 1), else_=0)))
        .where(t.parked_records.c.topic == topic).group_by(t.parked_records.c.partition))
    for row in rows:
        result.parked[row[0]] = int(row[1])
        if row[2]:
            held[row[0]].add(BROADCAST_KEY)
    result.held_keys = {partition: len(keys) for partition, keys in held.items()}
    return result


# -- loading ---------------------------------------------------------------------------------

async def _load_positions(conn: AsyncConnection, topic: str,
                          partitions: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The stored positions of ``partitions``, locked until the transaction ends: a twin
    that a rebalance handed the same partition waits, then skips what this one applied.
    Only these partitions are locked, so instances that share a topic never wait on
    each other's partitions."""
    wanted = sorted(set(partitions))
    p = t.consumer_positions
    query = select(p).where(p.c.topic == topic, p.c.partition.in_(wanted))
    if conn.dialect.name == "postgresql":
        # rows must exist to be locked: a partition's first batch creates its row
        await conn.execute(postgresql.insert(p).on_conflict_do_nothing(), [
            {"topic": topic, "partition": partition, "next_offset": 0, "last_position": 0}
            for partition in wanted])
        query = query.with_for_update()
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
    activity_ids |= {str(e.activity_id) for _, e, _ in events if isinstance(e, ActivityRevised)}
    for row in await rows_where(conn, t.activities, t.activities.c.activity_id, activity_ids):
        ws.activities[row["activity_id"]] = row
    closes = {(e.period, partition) for _, e, partition in events if isinstance(e, PeriodClosed)}
    for period, partition in sorted(closes):
        for row in await _open_activities(conn, period, partition):
            ws.activities.setdefault(row["activity_id"], row)
            ws.partition_of[row["activity_id"]] = partition
    reporters = {e.nip for _, e, _ in events
                 if isinstance(e, ActivityReported | ActivityRevised | ReportingLineChanged)}
    for row in await rows_where(conn, t.reporting_lines, t.reporting_lines.c.nip, reporters):
        ws.lines[row["nip"]].append(row)
    month_keys = {(e.nip, projector.period_of(e.work_date)) for _, e, _ in events
                  if isinstance(e, ActivityReported | ActivityRevised)}
    month_keys |= {(a["nip"], a["period"]) for a in ws.activities.values()}
    keys = [t.employee_months.c.nip, t.employee_months.c.period]
    for row in await rows_where(conn, t.employee_months, tuple_(*keys), month_keys):
        ws.months[(row["nip"], row["period"])] = row
    registered = {e.nip for _, e, _ in events if isinstance(e, EmployeeRegistered)}
    ws.known_before = {row["nip"] for row in
                       await rows_where(conn, t.employees, t.employees.c.nip, registered)}
    return ws


async def _open_activities(conn: AsyncConnection, period: str,
                           partition: int) -> list[dict[str, Any]]:
    """Activities of ``period`` still waiting for a decision, of the partition's employees
    (a close arrives on every partition and covers that partition's keys)."""
    a, e = t.activities, t.employees
    result = await conn.execute(
        select(a).select_from(a.join(e, e.c.nip == a.c.nip))
        .where(a.c.period == period, a.c.status.in_(projector.OPEN_STATUSES),
               e.c.partition == partition))
    return [dict(row._mapping) for row in result]


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


async def _save_positions(conn: AsyncConnection, topic: str,
                          positions: dict[int, dict[str, Any]]) -> None:
    await upsert(conn, t.consumer_positions,
                 [{"topic": topic, "partition": p, **state} for p, state in positions.items()])
