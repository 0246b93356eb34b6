"""Rebuilding projections: from the event store or from Kafka, into any database URL or into
a new PostgreSQL schema beside the live one, and the atomic swap of the two.

Every source produces the records the live consumer would see — same topic, same
partition per key and broadcast events once on every partition (``shared.kafka``), in
global position order — and every batch goes through the live code path
(``projection_store.apply_in``) in one transaction. So a rebuild equals the live
projections table by table, and never holds more than one batch in memory.
"""

import asyncio
import resource
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.appraisal.adapters import tables as t
from services.appraisal.adapters.migrations import MIGRATIONS
from services.appraisal.adapters.projection_store import Record, apply_in
from shared.codec import UndecodableEvent, decode_envelope
from shared.db import make_engine, migrate
from shared.history import EventHistory
from shared.kafka import consumer as kafka_consumer
from shared.kafka import target_partitions

BATCH = 10_000
BUILD_PREFIX = "erk_build_"
PREVIOUS_PREFIX = "erk_prev_"

Progress = Callable[[int], None]
"""Called with the number of source events just consumed."""


# -- partitions ---------------------------------------------------------------------------------

async def topic_partitions(bootstrap: str, topic: str) -> int:
    """Partition count of ``topic`` from the broker's metadata."""
    return len(await _partition_ids(bootstrap, topic))


async def _partition_ids(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code") or not described.get("partitions"):
        raise LookupError(f"topic {topic!r} does not exist on {bootstrap}")
    return sorted(p["partition"] for p in described["partitions"])


# -- sources ------------------------------------------------------------------------------------

@dataclass
class SourceStats:
    events: int = 0
    """Source events read (a broadcast counts once)."""
    records: int = 0
    """Records fed to the projections (a broadcast counts once per partition)."""


async def store_batches(
    history: EventHistory, topic: str, partitions: int, upto: int,
    limits: dict[int, int] | None = None, batch: int = BATCH,
    stats: SourceStats | None = None,
) -> AsyncIterator[list[Record]]:
    """Records as the relay would publish them, for events with position <= ``upto``.

    ``limits`` (partition -> last position) stops each partition where a live consumer
    stands; a partition missing from it gets nothing. Offsets are synthetic but stable
    (a count per partition), so a rebuild into the same target can resume.
    """
    stats = stats if stats is not None else SourceStats()
    offsets = [0] * partitions
    everyone = range(partitions)
    records: list[Record] = []
    async for envelope in history.stream(upto_position=upto):
        stats.events += 1
        key = envelope.subject_nip.encode()
        position = envelope.position or 0
        for partition in target_partitions(key, everyone):
            if limits is not None and position > limits.get(partition, 0):
                continue
            records.append(Record(topic, partition, offsets[partition], b"", key,
                                  envelope=envelope))
            offsets[partition] += 1
        if len(records) >= batch:
            stats.records += len(records)
            yield records
            records = []
    if records:
        stats.records += len(records)
        yield records


@dataclass
class KafkaRange:
    start: dict[int, int] = field(default_factory=dict)
    end: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(max(0, self.end[p] - self.start.get(p, 0)) for p in self.end)


async def kafka_batches(
    bootstrap: str, topic: str, upto_position: int | None = None,
    upto_recorded_at: datetime | None = None, start: dict[int, int] | None = None,
    end: dict[int, int] | None = None, batch: int = BATCH, stats: SourceStats | None = None,
    window: KafkaRange | None = None,
) -> AsyncIterator[list[Record]]:
    """Records of ``topic`` from ``start`` (default: the beginning) to ``end`` (default: the
    end offsets when it starts), read without a consumer group (nothing is committed).

    With an as-of bound a partition stops at its first event past the bound: the relay
    publishes in position order, so whatever follows is past it too, or a re-publication
    of something already read.
    """
    stats = stats if stats is not None else SourceStats()
    consumer = kafka_consumer(bootstrap)
    await consumer.start()
    try:
        parts = await _partition_ids(bootstrap, topic)
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        first = await consumer.beginning_offsets(tps)
        last = await consumer.end_offsets(tps)
        window = window if window is not None else KafkaRange()
        for tp in tps:
            window.start[tp.partition] = max(first[tp], (start or {}).get(tp.partition, 0))
            window.end[tp.partition] = min(last[tp], (end or {}).get(tp.partition, last[tp]))
            consumer.seek(tp, window.start[tp.partition])
        active = {tp for tp in tps if window.start[tp.partition] < window.end[tp.partition]}
        consumer.pause(*[tp for tp in tps if tp not in active])
        records: list[Record] = []
        while active:
            fetched = await consumer.getmany(timeout_ms=1000, max_records=batch)
            for tp, messages in fetched.items():
                if tp not in active:
                    continue
                for m in messages:
                    if m.offset >= window.end[tp.partition] or _past(
                            m.value, upto_position, upto_recorded_at):
                        active.discard(tp)
                        consumer.pause(tp)
                        break
                    stats.events += 1
                    records.append(Record(m.topic, m.partition, m.offset, m.value or b"",
                                          m.key, m.timestamp))
                    if m.offset + 1 >= window.end[tp.partition]:
                        active.discard(tp)
                        consumer.pause(tp)
                        break
            if len(records) >= batch or (records and not active):
                stats.records += len(records)
                yield records
                records = []
    finally:
        await consumer.stop()


def _past(value: bytes | None, position: int | None, moment: datetime | None) -> bool:
    if position is None and moment is None:
        return False
    try:
        envelope = decode_envelope(value or b"")
    except UndecodableEvent:
        return False  # let the projections dead-letter it as the live consumer would
    return bool((position is not None and (envelope.position or 0) > position)
                or (moment is not None and envelope.recorded_at > moment))


# -- targets ------------------------------------------------------------------------------------

def target_engine(url: str) -> AsyncEngine:
    """An engine for a rebuild target; SQLite files get settings for bulk writing."""
    engine = make_engine(url, pool_size=2)
    if url.startswith("sqlite"):
        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    return engine


async def migrate_target(url: str) -> None:
    """Create or upgrade the projection schema in the target database."""
    await asyncio.to_thread(migrate, url, MIGRATIONS)


async def migrate_schema(url: str, schema: str) -> None:
    """Create or upgrade the projection schema inside PostgreSQL schema ``schema``."""
    await asyncio.to_thread(migrate, url, MIGRATIONS, schema=schema)


async def in_schema(conn: AsyncConnection, schema: str | None) -> AsyncConnection:
    """Route the connection's table names to ``schema`` (None: the default search_path)."""
    if schema is not None:
        await conn.execution_options(schema_translate_map={None: schema})
    return conn


async def stored_positions(conn: AsyncConnection, topic: str) -> dict[int, tuple[int, int]]:
    """partition -> (next offset, last applied global position)."""
    rows = await conn.execute(select(t.consumer_positions)
                              .where(t.consumer_positions.c.topic == topic))
    return {r.partition: (r.next_offset, r.last_position) for r in rows}


# -- replay -------------------------------------------------------------------------------------

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
    engine: AsyncEngine, batches: AsyncIterator[list[Record]], source: SourceStats,
    schema: str | None = None, progress: Progress | None = None,
) -> ReplayStats:
    """Apply every batch in a transaction of its own (so a long replay can resume)."""
    stats, started, seen = ReplayStats(), time.perf_counter(), 0
    async for records in read_ahead(batches):
        async with engine.begin() as conn:
            result = await apply_in(await in_schema(conn, schema), records)
        stats.applied += result.applied
        stats.skipped += result.skipped
        stats.dead_letters += len(result.dead_letters)
        if progress is not None:
            progress(source.events - seen)
        seen = source.events
    stats.events, stats.records = source.events, source.records
    stats.seconds = time.perf_counter() - started
    stats.peak_rss_mb = peak_rss_mb()
    return stats


async def target_is_empty(engine: AsyncEngine, schema: str | None = None) -> bool:
    async with engine.connect() as conn:
        await in_schema(conn, schema)
        return (await conn.scalar(select(t.consumer_positions.c.topic).limit(1))) is None


# -- side-by-side versions (PostgreSQL) ---------------------------------------------------------

async def schemas(conn: AsyncConnection, prefix: str) -> list[str]:
    rows = await conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p "
                                   "ORDER BY nspname"), {"p": prefix + "%"})
    return list(rows.scalars())


async def new_build_schema(engine: AsyncEngine) -> str:
    """Create the next free ``erk_build_<n>`` schema and return its name."""
    async with engine.begin() as conn:
        taken = {int(name[len(BUILD_PREFIX):]) for name in await schemas(conn, BUILD_PREFIX)
                 if name[len(BUILD_PREFIX):].isdigit()}
        name = f"{BUILD_PREFIX}{max(taken, default=0) + 1}"
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    return name


def _quoted(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain schema name: {name!r}")
    return f'"{name}"'


async def catch_up(
    engine: AsyncEngine, schema: str, bootstrap: str, topic: str,
    end: dict[int, int] | None = None, progress: Progress | None = None,
) -> ReplayStats:
    """Feed ``schema`` the topic's records after its stored offsets (up to ``end``)."""
    async with engine.connect() as conn:
        start = {p: offset for p, (offset, _) in
                 (await stored_positions(await in_schema(conn, schema), topic)).items()}
    source = SourceStats()
    return await apply_batches(engine, kafka_batches(bootstrap, topic, start=start, end=end,
                                                     stats=source),
                               source, schema, progress)


@dataclass
class SwapResult:
    live_schema: str
    previous_schema: str
    caught_up_records: int
    live_offsets: dict[int, int]


async def swap(
    engine: AsyncEngine, candidate: str, bootstrap: str, topic: str,
    live_schema: str = "public", keep_as: str | None = None,
) -> SwapResult:
    """Make ``candidate`` the live projection schema, atomically, without stopping readers.

    1. Catch the candidate up from Kafka outside any lock (the bulk of the work).
    2. In one transaction: lock the live ``consumer_positions`` (EXCLUSIVE: plain reads go
       on, the consumer's next batch waits at its ``SELECT ... FOR UPDATE``), feed the
       candidate the few records the live consumer applied meanwhile, so that on every
       partition it stands at or past the live consumer, then rename the live schema to
       ``keep_as`` (kept for rollback: swap it back the same way) and the candidate to the
       live name. The waiting consumer batch then resolves its tables afresh, in the new
       live schema, and skips by offset whatever the candidate already holds.
    """
    await catch_up(engine, candidate, bootstrap, topic)
    keep_as = keep_as or f"{PREVIOUS_PREFIX}{time.strftime('%Y%m%d%H%M%S')}"
    async with engine.connect() as conn, conn.begin():
        await conn.execute(text("SET LOCAL lock_timeout = '30s'"))
        await conn.execute(text(
            f"LOCK TABLE {_quoted(live_schema)}.consumer_positions IN EXCLUSIVE MODE"))
        live = await stored_positions(await in_schema(conn, live_schema), topic)
        built = await stored_positions(await in_schema(conn, candidate), topic)
        start = {p: built.get(p, (0, 0))[0] for p in live}
        behind = {p: off for p, (off, _) in live.items() if start[p] < off}
        caught = 0
        if behind:
            source = SourceStats()
            async for records in kafka_batches(bootstrap, topic, start=start,
                                               end={p: live[p][0] for p in live},
                                               stats=source):
                await apply_in(await in_schema(conn, candidate), records)
                caught += len(records)
        await conn.execution_options(schema_translate_map=None)
        await conn.execute(text(f"ALTER SCHEMA {_quoted(live_schema)} "
                                f"RENAME TO {_quoted(keep_as)}"))
        await conn.execute(text(f"ALTER SCHEMA {_quoted(candidate)} "
                                f"RENAME TO {_quoted(live_schema)}"))
    return SwapResult(live_schema, keep_as, caught, {p: off for p, (off, _) in live.items()})


def partition_limits(positions: dict[int, tuple[int, int]]) -> dict[int, int]:
    return {p: last for p, (_, last) in positions.items()}

