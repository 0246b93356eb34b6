"""Side-by-side projection versions (PostgreSQL): build a new version in a schema beside the
live one, from Kafka with real offsets, then swap it in atomically while the query API keeps
serving; the replaced version is kept for rollback (swap it back the same way)."""

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters import positions, sources, targets
from services.appraisal.domain.authenticity import OPEN, Gate
from services.appraisal.projections import REGISTRY
from services.appraisal.projections.registry import Registry
from services.appraisal.service_layer.batches import apply_records
from services.appraisal.service_layer.replay import Progress, ReplayStats, catch_up
from shared.db import make_engine
from shared.kafka_access import KafkaAccess


async def build_version(live_url: str, access: KafkaAccess, topic: str,
                        registry: Registry = REGISTRY, progress: Progress | None = None,
                        gate: Gate = OPEN) -> tuple[str, ReplayStats]:
    """A new projection version in a fresh ``erk_build_<n>`` schema of the live database,
    built from Kafka (real offsets, so the live consumer can continue from it after a swap)."""
    engine = make_engine(live_url, pool_size=2)
    try:
        schema = await targets.new_build_schema(engine)
        await targets.migrate_target(live_url, registry.migrations, schema)
        return schema, await catch_up(engine, schema, access, topic, registry=registry,
                                      progress=progress, gate=gate)
    finally:
        await engine.dispose()


@dataclass
class SwapResult:
    live_schema: str
    previous_schema: str
    caught_up_records: int
    live_offsets: dict[int, int]


async def swap(
    engine: AsyncEngine, candidate: str, access: KafkaAccess, topic: str,
    live_schema: str = "public", keep_as: str | None = None, registry: Registry = REGISTRY,
    gate: Gate = OPEN,
) -> SwapResult:
    """Make ``candidate`` the live projection schema, atomically, without stopping readers.

    1. Catch the candidate up from Kafka outside any lock (the bulk of the work).
    2. In one transaction: lock the live positions (plain reads go on, the consumer's next
       batch waits), feed the candidate the few records the live consumer applied
       meanwhile, so that on every partition it stands at or past the live consumer, then
       rename the live schema to ``keep_as`` and the candidate to the live name. The
       waiting consumer batch then resolves its tables afresh, in the new live schema, and
       skips by offset whatever the candidate already holds.
    """
    await catch_up(engine, candidate, access, topic, registry=registry, gate=gate)
    keep_as = keep_as or f"{targets.PREVIOUS_PREFIX}{time.strftime('%Y%m%d%H%M%S')}"
    async with engine.connect() as conn, conn.begin():
        await targets.lock_positions(conn, live_schema)
        live = await positions.stored(await targets.in_schema(conn, live_schema), topic)
        built = await positions.stored(await targets.in_schema(conn, candidate), topic)
        start = {p: built[p].next_offset if p in built else 0 for p in live}
        caught = 0
        if any(start[p] < position.next_offset for p, position in live.items()):
            async for records in sources.kafka_batches(
                    access, topic, start=start,
                    end={p: position.next_offset for p, position in live.items()}):
                await apply_records(await targets.in_schema(conn, candidate), records,
                                    registry, gate)
                caught += len(records)
        await conn.execution_options(schema_translate_map=None)
        await targets.rename_schema(conn, live_schema, keep_as)
        await targets.rename_schema(conn, candidate, live_schema)
    return SwapResult(live_schema, keep_as, caught,
                      {p: position.next_offset for p, position in live.items()})
