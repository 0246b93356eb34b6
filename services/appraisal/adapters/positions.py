"""Consumer positions, one row per topic and partition (``domain.positions.Position``),
saved in the transaction of the projection changes they account for."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    Row,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import upsert
from services.appraisal.domain.positions import Position

metadata = MetaData()

consumer_positions = Table(
    "consumer_positions", metadata,
    Column("topic", Text, primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Column("last_recorded_at", DateTime(timezone=True)),
)


def _position(row: Row[Any]) -> Position:
    return Position(row.topic, row.partition, row.next_offset, row.last_position,
                    row.last_recorded_at)


async def stored(conn: AsyncConnection, topic: str) -> dict[int, Position]:
    """Every stored position of ``topic``, by partition (no lock)."""
    p = consumer_positions
    return {row.partition: _position(row)
            for row in await conn.execute(select(p).where(p.c.topic == topic))}


async def lock(conn: AsyncConnection, topic: str,
               partitions: Iterable[int]) -> dict[int, Position]:
    """The stored positions of ``partitions``, locked until the transaction ends: a twin
    that a rebalance handed the same partition waits, then skips what this one applied.
    Only these partitions are locked, so instances that share a topic never wait on each
    other's partitions."""
    wanted = sorted(set(partitions))
    p = consumer_positions
    query = select(p).where(p.c.topic == topic, p.c.partition.in_(wanted))
    if conn.dialect.name == "postgresql":
        # rows must exist to be locked: a partition's first batch creates its row
        await conn.execute(postgresql.insert(p).on_conflict_do_nothing(), [
            {"topic": topic, "partition": partition, "next_offset": 0, "last_position": 0}
            for partition in wanted])
        query = query.with_for_update()
    return {row.partition: _position(row) for row in await conn.execute(query)}


async def save(conn: AsyncConnection, positions: Iterable[Position]) -> None:
    await upsert(conn, consumer_positions, [
        {"topic": p.topic, "partition": p.partition, "next_offset": p.next_offset,
         "last_position": p.last_position, "last_recorded_at": p.last_recorded_at}
        for p in positions])


async def any_stored(conn: AsyncConnection) -> bool:
    """Whether anything was ever consumed into this database (or schema)."""
    return (await conn.scalar(select(consumer_positions.c.topic).limit(1))) is not None


async def applied_up_to(conn: AsyncConnection) -> int:
    """The highest global position applied on any partition (0: nothing yet): where the
    projections stand, as a payroll listing states it."""
    return int(await conn.scalar(
        select(func.coalesce(func.max(consumer_positions.c.last_position), 0))) or 0)
