"""The checkpointer's adapters (``service_layer.ports.CheckpointLog`` and
``CheckpointPublisher``): the chain head, the checkpoints table (one per position, appended
under an advisory lock so that several intake processes sign a head once), the position
Kafka confirmed (a row of ``relay_checkpoint``, like the relay's), and the checkpoints
topic."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.tables import checkpoints, events, relay_checkpoint
from shared import checkpoints as cps
from shared.checkpoint_store import checkpoints_after, last_checkpoint, row_of
from shared.history import EventHistory, StoredRow
from shared.kafka import producer
from shared.kafka_access import KafkaAccess

CHECKPOINT_LOCK = 0x45524B02
"""Advisory lock key serialising checkpointers (the append lock is 0x45524B)."""
PUBLISHED = "checkpoints"
"""Name of the checkpointer's row in ``relay_checkpoint``: the last position on Kafka."""


class PostgresCheckpointLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def last_and_head(self) -> tuple[cps.SignedCheckpoint | None, int]:
        async with self._engine.connect() as conn:
            last = await last_checkpoint(conn)
            head = await conn.scalar(select(func.max(events.c.position)))
        return last, int(head or 0)

    async def rows(self, after: int, upto: int) -> AsyncIterator[StoredRow]:
        async with EventHistory(self._engine) as history:
            async for row in history.rows(after, upto):
                yield row

    async def store_unless_signed(self, signed: cps.SignedCheckpoint) -> bool:
        async with self._engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": CHECKPOINT_LOCK})
            newest = await last_checkpoint(conn)
            if newest is not None and newest.position >= signed.position:
                return False
            await conn.execute(checkpoints.insert().values(row_of(signed)))
        return True

    async def unpublished(self) -> list[cps.SignedCheckpoint]:
        async with self._engine.connect() as conn:
            confirmed = await conn.scalar(select(relay_checkpoint.c.position)
                                          .where(relay_checkpoint.c.name == PUBLISHED))
            return await checkpoints_after(conn, int(confirmed or 0))

    async def confirm_published(self, position: int) -> None:
        statement = insert(relay_checkpoint).values(name=PUBLISHED, position=position)
        async with self._engine.begin() as conn:
            await conn.execute(statement.on_conflict_do_update(
                index_elements=["name"], set_={"position": position}))


class KafkaCheckpointPublisher:
    """Publishes to the checkpoints topic, keyed by the signing key's id."""

    def __init__(self, kafka: AIOKafkaProducer, topic: str) -> None:
        self._producer = kafka
        self._topic = topic

    async def publish(self, signed: list[cps.SignedCheckpoint]) -> None:
        sent = [await self._producer.send(self._topic, cps.encode(one),
                                          key=one.checkpoint.key_id.encode())
                for one in signed]
        await asyncio.gather(*sent)


def kafka_publisher(access: KafkaAccess, topic: str) -> (
    contextlib.AbstractAsyncContextManager[KafkaCheckpointPublisher]
):
    """Opens a publisher on a fresh (idempotent, acks=all) producer."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[KafkaCheckpointPublisher]:
        kafka = producer(access)
        await kafka.start()
        try:
            yield KafkaCheckpointPublisher(kafka, topic)
        finally:
            await kafka.stop()

    return opened()
