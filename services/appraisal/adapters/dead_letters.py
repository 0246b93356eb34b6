"""Dead letters: records the consumer could not apply, with the reason and the original
bytes, until an operator retries or skips them. While one is open its key is held on its
partition (``held_keys``), unless it is not one of the key's events
(``records.NOT_THE_KEYS_OWN``: no relay MAC, a reused position)."""

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Row,
    Table,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.domain.records import NOT_THE_KEYS_OWN, DeadLetter, Record, hold_key
from shared.codec import UndecodableEvent, decode_envelope

metadata = MetaData()

_Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys only

dead_letters = Table(
    "dead_letters", metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("key", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("event_type", Text),
    Column("position", BigInteger),
    Column("status", Text, nullable=False),  # open | retried | skipped
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", Text),
    UniqueConstraint("topic", "partition", "offset", name="dead_letters_source"),
    Index("dead_letters_open", "topic", "partition", "status"),
)


async def record(conn: AsyncConnection, letters: Sequence[DeadLetter]) -> None:
    """Store new dead letters (open) and give each its id. Few: one statement each."""
    for letter in letters:
        raw = letter.record.raw()
        envelope = None
        with contextlib.suppress(UndecodableEvent):
            envelope = decode_envelope(raw)
        letter.id = await conn.scalar(
            dead_letters.insert().returning(dead_letters.c.id).values(
                topic=letter.record.topic, partition=letter.record.partition,
                offset=letter.record.offset, key=hold_key(letter.record), code=letter.code,
                reason=letter.reason, value=raw, status="open", created_at=_now(),
                event_type=envelope.event_type if envelope else None,
                position=envelope.position if envelope else None))


def _letter(row: Row[Any]) -> DeadLetter:
    record = Record(row.topic, row.partition, row.offset, row.value, row.key.encode())
    return DeadLetter(record, row.code, row.reason, row.id, row.status)


async def find(conn: AsyncConnection, dead_letter_id: int, lock: bool = False) -> (
    DeadLetter | None
):
    """One dead letter (``lock``: until the transaction ends, on PostgreSQL)."""
    query = select(dead_letters).where(dead_letters.c.id == dead_letter_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _letter(row) if row is not None else None


async def still_undecodable(conn: AsyncConnection, dead_letter_id: int,
                            error: UndecodableEvent) -> None:
    """A retry failed: keep it open, with the reason the current code gives."""
    await conn.execute(update(dead_letters).where(dead_letters.c.id == dead_letter_id)
                       .values(code=error.code, reason=str(error)))


async def resolve(conn: AsyncConnection, dead_letter_id: int, status: str, actor: str) -> None:
    await conn.execute(update(dead_letters).where(dead_letters.c.id == dead_letter_id)
                       .values(status=status, resolved_at=_now(), resolved_by=actor))


async def open_on(conn: AsyncConnection, topic: str, partition: int) -> list[tuple[int, str]]:
    """(offset, key) of the partition's open dead letters that hold their key."""
    d = dead_letters.c
    rows = await conn.execute(select(d.offset, d.key).where(
        d.topic == topic, d.partition == partition, d.status == "open",
        d.code.not_in(NOT_THE_KEYS_OWN)))
    return [(row.offset, row.key) for row in rows]


async def listed(conn: AsyncConnection, status: str | None, limit: int) -> list[dict[str, Any]]:
    """Dead letters without their bytes, oldest first (``status`` None: any)."""
    query = select(*(c for c in dead_letters.c if c.name != "value"))
    if status is not None:
        query = query.where(dead_letters.c.status == status)
    rows = await conn.execute(query.order_by(dead_letters.c.id).limit(limit))
    return [dict(row._mapping) for row in rows]


def _now() -> datetime:
    return datetime.now(UTC)
