"""Held keys and the records parked behind them (original bytes and coordinates, in offset
order), and the backlog figures operators and metrics read."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    case,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.dead_letters import dead_letters
from services.appraisal.adapters.rows import CHUNK, upsert
from services.appraisal.domain.held_keys import HeldKeys
from services.appraisal.domain.records import NOT_THE_KEYS_OWN, Record
from services.appraisal.domain.triage import Parked
from shared.topics import BROADCAST_KEY

metadata = MetaData()

parked_records = Table(
    "parked_records", metadata,
    Column("topic", Text, primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, primary_key=True),
    Column("key", Text, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("position", BigInteger),
    Column("parked_at", DateTime(timezone=True), nullable=False),
    Index("parked_records_key", "topic", "key"),
)


async def held(conn: AsyncConnection, topic: str) -> HeldKeys:
    """The keys open dead letters hold, and whole partitions a parked broadcast holds."""
    gate, d, p = HeldKeys(), dead_letters.c, parked_records.c
    for row in await conn.execute(select(d.partition, d.key).where(
            d.topic == topic, d.status == "open", d.code.not_in(NOT_THE_KEYS_OWN))):
        gate.hold(row.partition, row.key)
    for row in await conn.execute(select(p.partition).distinct()
                                  .where(p.topic == topic, p.key == BROADCAST_KEY)):
        gate.hold(row.partition, BROADCAST_KEY)
    return gate


async def park(conn: AsyncConnection, parked: Sequence[Parked]) -> None:
    now = datetime.now(UTC)
    await upsert(conn, parked_records, [
        {"topic": item.record.topic, "partition": item.record.partition,
         "offset": item.record.offset, "key": item.key, "value": item.record.raw(),
         "position": item.position, "parked_at": now} for item in parked])


async def parked_on(conn: AsyncConnection, topic: str, partition: int) -> list[Parked]:
    """The partition's parked records, in offset order."""
    p = parked_records.c
    rows = await conn.execute(select(parked_records)
                              .where(p.topic == topic, p.partition == partition)
                              .order_by(p.offset))
    return [Parked(Record(topic, partition, row.offset, row.value, row.key.encode()), row.key,
                   row.position) for row in rows]


async def parked_of(conn: AsyncConnection, topic: str, partition: int, key: str) -> (
    list[Parked]
):
    """The records parked behind one key of a partition, in offset order."""
    p = parked_records.c
    rows = await conn.execute(select(parked_records).where(
        p.topic == topic, p.partition == partition, p.key == key).order_by(p.offset))
    return [Parked(Record(topic, partition, row.offset, row.value, row.key.encode()), row.key,
                   row.position) for row in rows]


async def unpark(conn: AsyncConnection, topic: str, partition: int,
                 offsets: Sequence[int]) -> None:
    p = parked_records.c
    for start in range(0, len(offsets), CHUNK):
        await conn.execute(delete(parked_records).where(
            p.topic == topic, p.partition == partition,
            p.offset.in_(offsets[start:start + CHUNK])))


async def parked_by_key(conn: AsyncConnection) -> dict[tuple[str, int, str], int]:
    """(topic, partition, key) -> how many records wait behind it."""
    p = parked_records.c
    rows = await conn.execute(select(p.topic, p.partition, p.key, func.count())
                              .group_by(p.topic, p.partition, p.key))
    return {(row[0], row[1], row[2]): int(row[3]) for row in rows}


@dataclass
class Backlog:
    held_keys: dict[int, int] = field(default_factory=dict)
    parked: dict[int, int] = field(default_factory=dict)
    open_dead_letters: dict[str, int] = field(default_factory=dict)
    """Open dead letters by code."""


async def backlog(conn: AsyncConnection, topic: str) -> Backlog:
    """Held keys and parked records by partition, open dead letters by code (two
    aggregate queries)."""
    result, d, p = Backlog(), dead_letters.c, parked_records.c
    held_by: dict[int, set[str]] = defaultdict(set)
    for row in await conn.execute(select(d.partition, d.code, d.key)
                                  .where(d.topic == topic, d.status == "open")):
        if row.code not in NOT_THE_KEYS_OWN:
            held_by[row.partition].add(row.key)
        result.open_dead_letters[row.code] = result.open_dead_letters.get(row.code, 0) + 1
    rows = await conn.execute(
        select(p.partition, func.count(), func.sum(case((p.key == BROADCAST_KEY, 1), else_=0)))
        .where(p.topic == topic).group_by(p.partition))
    for row in rows:
        result.parked[row[0]] = int(row[1])
        if row[2]:
            held_by[row[0]].add(BROADCAST_KEY)
    result.held_keys = {partition: len(keys) for partition, keys in held_by.items()}
    return result
