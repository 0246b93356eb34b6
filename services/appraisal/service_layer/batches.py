"""Consuming: one batch of Kafka records applied to the projections, exactly once.

One database transaction per batch holds the projection changes *and* the consumed
positions (``domain.positions``): a crash at any point leaves the projections as if the batch
never started, or fully applied. Within it: lock the batch's partitions' positions, load the
held keys, sort the records (``domain.triage``, through the relay-MAC gate of
``domain.authenticity``), settle re-publication claims against the ids delivered before,
record the dead letters, park what is held, apply the rest (``projecting``), save the
positions and the ids delivered.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.appraisal.adapters import dead_letters, delivered, held_keys, positions
from services.appraisal.domain.authenticity import OPEN, Gate
from services.appraisal.domain.positions import Position
from services.appraisal.domain.records import DeadLetter, DeadLetterSink, Record
from services.appraisal.domain.triage import triage
from services.appraisal.projections import REGISTRY
from services.appraisal.projections.registry import Registry
from services.appraisal.service_layer import resolution
from services.appraisal.service_layer.projecting import project


@dataclass
class BatchResult:
    applied: int = 0
    skipped: int = 0
    parked: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)
    last_recorded_at: dict[int, datetime] = field(default_factory=dict)


async def apply_records(conn: AsyncConnection, records: Sequence[Record],
                        registry: Registry = REGISTRY, gate: Gate = OPEN) -> BatchResult:
    """Apply records of one topic inside the caller's transaction."""
    if not records:
        return BatchResult()
    topic = records[0].topic
    stored = await positions.lock(conn, topic, {r.partition for r in records})
    sorted_out = triage(records, stored, await held_keys.held(conn, topic), gate)
    if sorted_out.repeats:
        sorted_out.settle(await delivered.ids_at(
            conn, topic, [(r.record.partition, r.position) for r in sorted_out.repeats]))
    await dead_letters.record(conn, sorted_out.dead_letters)
    await held_keys.park(conn, sorted_out.parked)
    await project(conn, sorted_out.applied, registry)
    await positions.save(conn, sorted_out.positions)
    await delivered.remember(conn, topic, sorted_out.seen)
    return BatchResult(len(sorted_out.applied), sorted_out.skipped, len(sorted_out.parked),
                       sorted_out.dead_letters, sorted_out.last_recorded_at)


class ProjectionService:
    """The projections' use cases on one database: what the consumer and operators call."""

    def __init__(self, engine: AsyncEngine, registry: Registry = REGISTRY,
                 gate: Gate = OPEN) -> None:
        self.engine, self.registry, self.gate = engine, registry, gate

    async def apply_batch(self, records: Sequence[Record],
                          on_dead_letters: DeadLetterSink | None = None) -> BatchResult:
        """Apply a batch in one transaction. Dead letters go to ``on_dead_letters`` before
        the commit, so a crash can repeat a dead letter but never lose one."""
        async with self.engine.begin() as conn:
            result = await apply_records(conn, records, self.registry, self.gate)
            if result.dead_letters and on_dead_letters is not None:
                await on_dead_letters(result.dead_letters)
            return result

    async def positions(self, topic: str) -> dict[int, Position]:
        """Stored consumer positions by partition."""
        async with self.engine.connect() as conn:
            return await positions.stored(conn, topic)

    async def next_offsets(self, topic: str) -> dict[int, int]:
        return {p: position.next_offset for p, position in (await self.positions(topic)).items()}

    async def backlog(self, topic: str) -> held_keys.Backlog:
        """Held keys and parked records by partition, open dead letters by code."""
        async with self.engine.connect() as conn:
            return await held_keys.backlog(conn, topic)

    async def resolve(self, dead_letter_id: int, action: resolution.Action,
                      actor: str = "operator",
                      on_dead_letters: DeadLetterSink | None = None) -> resolution.Resolution:
        """Retry or skip a dead letter and release what it held, in one transaction."""
        return await resolution.resolve_with(self.engine, dead_letter_id, action, actor,
                                             self.registry, on_dead_letters)
