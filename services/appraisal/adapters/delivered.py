"""The event id delivered at each recent global position of each partition: what a
re-publication's claim is checked against (``domain.triage.Triage.settle``). Consumer
bookkeeping, saved with the batch that delivered them, and kept for the last ``WINDOW``
positions of a partition only: the relay re-publishes after a crash from its last
confirmed position, at most a few batches back."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from uuid import UUID

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import CHUNK, upsert
from services.appraisal.domain.triage import Seen

WINDOW = 200_000
"""Global positions remembered behind a partition's highest (the relay re-publishes at
most two of its batches, 2 x 2,000 events by default)."""

metadata = MetaData()

delivered_events = Table(
    "delivered_events", metadata,
    Column("topic", Text, primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("event_id", Text, nullable=False),
)


async def ids_at(conn: AsyncConnection, topic: str,
                 where: Iterable[tuple[int, int]]) -> dict[tuple[int, int], UUID]:
    """(partition, position) -> the event id delivered there, for those remembered."""
    wanted, d = sorted(set(where)), delivered_events.c
    found: dict[tuple[int, int], UUID] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = await conn.execute(select(d.partition, d.position, d.event_id).where(
            d.topic == topic, tuple_(d.partition, d.position).in_(wanted[start:start + CHUNK])))
        found.update({(row.partition, row.position): UUID(row.event_id) for row in rows})
    return found


async def remember(conn: AsyncConnection, topic: str, seen: Sequence[Seen],
                   window: int = WINDOW) -> None:
    """Remember the batch's deliveries, and forget those ``window`` positions behind."""
    await upsert(conn, delivered_events, [
        {"topic": topic, "partition": partition, "position": position,
         "event_id": str(event_id)} for partition, position, event_id in seen])
    highest: dict[int, int] = defaultdict(int)
    for partition, position, _ in seen:
        highest[partition] = max(highest[partition], position)
    d = delivered_events.c
    for partition, position in highest.items():
        await conn.execute(delete(delivered_events).where(
            d.topic == topic, d.partition == partition, d.position <= position - window))
