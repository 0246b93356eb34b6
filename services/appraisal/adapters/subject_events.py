"""A data subject's events, read from intake's event store (read-only, as replay and
verify read it): the store is the complete record, and one query by subject finds them,
where the events topic would have to be scanned (a key's partition from offset 0)."""

from sqlalchemy import select

from shared.db import make_engine
from shared.envelope import EventEnvelope
from shared.history import envelope_of, events


async def events_about(store_url: str, nip: str) -> list[EventEnvelope]:
    """Every stored event whose subject is ``nip``, in position order."""
    engine = make_engine(store_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(events).where(events.c.subject_nip == nip)
                                      .order_by(events.c.position))
            return [envelope_of(row._mapping) for row in rows]
    finally:
        await engine.dispose()
