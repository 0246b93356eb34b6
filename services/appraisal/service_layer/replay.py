"""Replay: every projection rebuilt from the event store or from Kafka into any database
(PostgreSQL, or a SQLite file for auditors), optionally "as of" a position or time. Every
batch goes through the live code path (``batches.apply_records``) in a transaction of its
own, so a rebuild equals the live projections table by table and can resume."""

import asyncio
import resource
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters import positions, sources, targets
from services.appraisal.domain.authenticity import OPEN, Gate
from services.appraisal.domain.records import NOW, AsOf, Record
from services.appraisal.projections import REGISTRY
from services.appraisal.projections.registry import Registry
from services.appraisal.service_layer.batches import apply_records
from shared.history import EventHistory
from shared.kafka_access import KafkaAccess
from shared.pseudonym import Pseudonyms
from shared.topics import EVENTS_PARTITIONS

Progress = Callable[[int, int | None], None]
"""Called with the number of source events just applied, and the total when known."""


@dataclass
class ReplayStats:
    events: int = 0
    records: int = 0
    applied: int = 0
    skipped: int = 0
    dead_letters: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def read_ahead(batches: AsyncIterator[list[Record]], depth: int = 2) -> AsyncIterator[
    list[Record]
]:
    """Read the next batches while the current one is applied: the source (store or Kafka)
    and the target database then work at the same time instead of taking turns."""
    queue: asyncio.Queue[list[Record] | None] = asyncio.Queue(depth)

    async def pump() -> None:
        try:
            async for records in batches:
                await queue.put(records)
        finally:
            await queue.put(None)

    task = asyncio.create_task(pump())
    try:
        while (records := await queue.get()) is not None:
            yield records
        await task  # re-raise a failure of the source
    finally:
        task.cancel()


async def apply_batches(
    engine: AsyncEngine, batches: AsyncIterator[list[Record]], source: sources.SourceStats,
    registry: Registry = REGISTRY, schema: str | None = None,
    progress: Progress | None = None, total: Callable[[], int | None] = lambda: None,
    gate: Gate = OPEN,
) -> ReplayStats:
    """Apply every batch in a transaction of its own (so a long replay can resume)."""
    stats, started, seen = ReplayStats(), time.perf_counter(), 0
    async for records in read_ahead(batches):
        async with engine.begin() as conn:
            result = await apply_records(await targets.in_schema(conn, schema), records,
                                         registry, gate)
        stats.applied += result.applied
        stats.skipped += result.skipped
        stats.dead_letters += len(result.dead_letters)
        if progress is not None:
            progress(source.events - seen, total())
        seen = source.events
    stats.events, stats.records = source.events, source.records
    stats.seconds = time.perf_counter() - started
    stats.peak_rss_mb = peak_rss_mb()
    return stats


async def replay_store(
    store_url: str, engine: AsyncEngine, topic: str, partitions: int, as_of: AsOf = NOW,
    limits: dict[int, int] | None = None, batch: int = sources.BATCH,
    registry: Registry = REGISTRY, progress: Progress | None = None, *,
    pseudonyms: Pseudonyms,
) -> ReplayStats:
    """Rebuild from the event store, as the relay would have published it on ``partitions``
    with its ``pseudonyms``
    (``limits``: stop each partition at a global position, where a live consumer stands)."""
    async with EventHistory(store_url, page=batch) as history:
        upto = await history.resolve(as_of.position, as_of.moment)
        if limits is not None:
            upto = min(upto, max(limits.values(), default=0))
        source = sources.SourceStats()
        batches = sources.store_batches(history, topic, partitions, upto, limits, batch, source,
                                        pseudonyms=pseudonyms)
        return await apply_batches(engine, batches, source, registry, progress=progress,
                                   total=lambda: upto)


async def replay_kafka(
    access: KafkaAccess, engine: AsyncEngine, topic: str, as_of: AsOf = NOW,
    batch: int = sources.BATCH, registry: Registry = REGISTRY,
    progress: Progress | None = None, gate: Gate = OPEN,
) -> ReplayStats:
    """Rebuild from the topic's records, read without a consumer group (``gate``: the
    relay MACs they must carry)."""
    source, window = sources.SourceStats(), sources.KafkaRange()
    batches = sources.kafka_batches(access, topic, as_of, batch=batch, stats=source,
                                    window=window)
    return await apply_batches(engine, batches, source, registry, progress=progress,
                               total=lambda: window.total, gate=gate)


async def catch_up(
    engine: AsyncEngine, schema: str, access: KafkaAccess, topic: str,
    end: dict[int, int] | None = None, registry: Registry = REGISTRY,
    progress: Progress | None = None, gate: Gate = OPEN,
) -> ReplayStats:
    """Feed ``schema`` the topic's records after its stored offsets (up to ``end``)."""
    async with engine.connect() as conn:
        stored = await positions.stored(await targets.in_schema(conn, schema), topic)
    source = sources.SourceStats()
    batches = sources.kafka_batches(access, topic, start={p: s.next_offset
                                                              for p, s in stored.items()},
                                    end=end, stats=source)
    return await apply_batches(engine, batches, source, registry, schema, progress, gate=gate)


async def partition_count(access: KafkaAccess, topic: str, given: int | None = None,
                          warn: Callable[[str], None] = print) -> int:
    """``given``, else the topic's partition count, else (broker unreachable, say) the
    default count, with a warning."""
    if given:
        return given
    try:
        return len(await asyncio.wait_for(sources.partition_ids(access, topic), 15))
    except Exception as exc:
        warn(f"partition count of {topic} unknown ({exc}); assuming {EVENTS_PARTITIONS} "
             "(use --partitions)")
        return EVENTS_PARTITIONS


async def target_is_empty(engine: AsyncEngine, schema: str | None = None) -> bool:
    async with engine.connect() as conn:
        return not await positions.any_stored(await targets.in_schema(conn, schema))


class TargetNotEmpty(ValueError):
    pass


@dataclass(frozen=True)
class Source:
    """Where ``replay_into`` reads: the event store (assigning its events to ``partitions``,
    default the topic's, by the subject ids ``pseudonyms`` gives) or the topic itself."""

    kind: Literal["store", "kafka"]
    store_url: str
    access: KafkaAccess
    topic: str
    partitions: int | None = None
    pseudonyms: Pseudonyms | None = None
    """Required to read the store; Kafka's records carry their keys already."""


async def replay_into(into: str, source: Source, as_of: AsOf = NOW, batch: int = sources.BATCH,
                      resume: bool = False, registry: Registry = REGISTRY,
                      progress: Progress | None = None,
                      warn: Callable[[str], None] = print, gate: Gate = OPEN) -> ReplayStats:
    """Migrate the database at ``into`` and rebuild every projection there; it must hold
    none yet, unless ``resume`` continues an interrupted replay into it."""
    await targets.migrate_target(into, registry.migrations)
    engine = targets.target_engine(into)
    try:
        if not resume and not await target_is_empty(engine):
            raise TargetNotEmpty(f"{into} already holds projections; give an empty "
                                 "database, or --resume to continue that replay")
        if source.kind == "kafka":
            return await replay_kafka(source.access, engine, source.topic, as_of, batch,
                                      registry, progress, gate)
        if source.pseudonyms is None:
            raise ValueError("a replay from the event store needs the relay's pseudonym key "
                             "(APPRAISAL_PSEUDONYM_KEY_FILE)")
        count = await partition_count(source.access, source.topic, source.partitions, warn)
        return await replay_store(source.store_url, engine, source.topic, count, as_of,
                                  batch=batch, registry=registry, progress=progress,
                                  pseudonyms=source.pseudonyms)
    finally:
        await engine.dispose()
