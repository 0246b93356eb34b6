"""Applying decoded events to every registered projection, inside the caller's transaction:
each projection loads what the batch needs (set-based), the events are applied in order
(pure, in memory), then each projection writes its changed rows (COPY upserts)."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.domain.records import Applied
from services.appraisal.projections.base import Batch
from services.appraisal.projections.registry import Registry


async def project(conn: AsyncConnection, events: Sequence[Applied], registry: Registry) -> None:
    """Apply deduplicated events, in order, to every projection of ``registry``."""
    if not events:
        return
    batch = registry.start(events)
    for projection in registry.projections:
        await projection.load(conn, batch.working_sets[type(projection)], batch)
    apply_events(batch, registry, events)
    for projection in registry.projections:
        await projection.write(conn, batch.working_sets[type(projection)], batch)


def apply_events(batch: Batch, registry: Registry, events: Sequence[Applied]) -> None:
    """The pure step: each event, in order, to the projections that follow its type."""
    steps = [(p, batch.working_sets[type(p)]) for p in registry.projections]
    routes = registry.routes
    for envelope, event, partition in events:
        for index in routes.get(type(event), ()):
            projection, working = steps[index]
            projection.apply(working, envelope, event, partition)
