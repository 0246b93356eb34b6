"""The relay: tails the event store and publishes committed events to Kafka, in order.

It never dual-writes: an event reaches Kafka only after its transaction committed. The
position of the last event Kafka acknowledged is checkpointed; after a crash between
publishing and checkpointing some events go out again, and consumers drop them by
global position. One relay runs per store, elected with a session advisory lock.

Any database failure (a lost LISTEN connection, and with it the lock; a broken pool; a
failover; "the database system is shutting down") ends ``run``; its supervisor starts it
again, which reconnects, waits for the lock and resumes from the checkpoint. Kafka errors
are retried inside, keeping the lock. A NOTIFY wakes the relay at once; without one it
polls every ``idle_poll_s`` (the safety net for a lost notification).
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters import event_store
from services.intake.adapters.tables import relay_checkpoint
from shared.codec import encode
from shared.envelope import EventEnvelope
from shared.kafka import target_partitions
from shared.pseudonym import Pseudonyms
from shared.record_mac import RelayKey, record_headers

log = logging.getLogger(__name__)

RELAY_LEADER_LOCK = 0x45524B01
CHECKPOINT = "kafka"


class LeadershipLost(ConnectionError):
    """The session that held the leader lock is gone; the relay must start over."""


class Relay:
    def __init__(
        self,
        engine: AsyncEngine,
        dsn: str,
        producer_factory: Callable[[], AIOKafkaProducer],
        topic: str,
        batch_size: int = 2000,
        idle_poll_s: float = 1.0,
        mac_key: RelayKey | None = None,
        *,
        pseudonyms: Pseudonyms,
    ) -> None:
        self._engine = engine
        self._dsn = dsn
        self._producer_factory = producer_factory
        self._topic = topic
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._mac_key = mac_key
        self._pseudonyms = pseudonyms
        self._wakeup = asyncio.Event()
        self._listener_lost = False
        self.published_position = 0

    async def run(self) -> None:
        """Publish until cancelled, or until the database fails it (run it supervised:
        ``shared.supervisor`` starts it again). Holds leadership while it runs."""
        listener = await asyncpg.connect(self._dsn)
        self._listener_lost = False
        try:
            listener.add_termination_listener(self._on_listener_lost)
            await listener.execute("SELECT pg_advisory_lock($1)", RELAY_LEADER_LOCK)
            await listener.add_listener(event_store.NOTIFY_CHANNEL, self._on_notify)
            await self._publish_forever()
        finally:
            with contextlib.suppress(Exception):  # it may be the broken part
                await asyncio.wait_for(listener.close(), 5)
            if not listener.is_closed():
                listener.terminate()

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    def _on_listener_lost(self, *_: object) -> None:
        # the leader lock went with the connection: another relay may lead by now
        self._listener_lost = True
        self._wakeup.set()

    def _ensure_leader(self) -> None:
        if self._listener_lost:
            raise LeadershipLost("the LISTEN connection (and the leader lock) was lost")

    async def _publish_forever(self) -> None:
        producer: AIOKafkaProducer | None = None
        self.published_position = await self._load_checkpoint()
        try:
            while True:
                try:
                    if producer is None:
                        producer = self._producer_factory()
                        await producer.start()
                    await self._publish_until_idle(producer)
                except KafkaError as exc:
                    # An idempotent producer can stay wedged (e.g. OutOfOrderSequenceNumber)
                    # after a broker blip: drop it and resume from the confirmed checkpoint.
                    log.warning("relay: Kafka error %s; recreating the producer",
                                type(exc).__name__)
                    await _close_quietly(producer)
                    producer = None
                    await asyncio.sleep(1.0)
                    continue
                await self._wait_for_work()
                self._ensure_leader()
        finally:
            # also when cancelled while idle or checkpointing, not only while publishing
            await _close_quietly(producer)

    async def _publish_until_idle(self, producer: AIOKafkaProducer) -> None:
        """Publish batch after batch; the next batch is read and sent while the previous
        one waits for its acknowledgement, and the checkpoint follows the acknowledgements.
        Sends stay in position order, and the idempotent producer keeps that order."""
        read_position = self.published_position
        in_flight: deque[tuple[int, asyncio.Future[Any]]] = deque()
        try:
            while True:
                self._ensure_leader()
                self._wakeup.clear()
                batch = await self._next_batch(read_position)
                if batch:
                    in_flight.append((batch[-1].position or 0, await self._send(producer, batch)))
                    read_position = batch[-1].position or 0
                while in_flight and (len(in_flight) > 1 or not batch):
                    position, acknowledged = in_flight.popleft()
                    await acknowledged
                    await self._save_checkpoint(position)
                if not batch:
                    return
        finally:
            for _, acknowledged in in_flight:
                acknowledged.cancel()

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), self._idle_poll_s)

    async def _next_batch(self, after: int) -> list[EventEnvelope]:
        async with self._engine.connect() as conn:
            return await event_store.read_after(conn, after, self._batch_size)

    async def _send(self, producer: AIOKafkaProducer,
                    batch: Sequence[EventEnvelope]) -> "asyncio.Future[Any]":
        """Queue a batch, partition by partition (``shared.kafka.target_partitions``), each
        record keyed by its subject id (``shared.pseudonym``: never the NIP); returns a
        future of all its acknowledgements."""
        partitions = sorted(await producer.partitions_for(self._topic))
        builders: dict[int, Any] = {}
        futures: list[asyncio.Future[Any]] = []
        for envelope in batch:
            value, key = encode(envelope), self._pseudonyms.record_key(envelope.subject_nip)
            for partition in target_partitions(key, partitions):
                headers = record_headers(self._mac_key, self._topic, partition, key, value)
                builder = builders.get(partition) or producer.create_batch()
                if builder.append(key=key, value=value, timestamp=None,
                                  headers=headers) is None:
                    futures.append(await producer.send_batch(builder, self._topic,
                                                             partition=partition))
                    builder = producer.create_batch()
                    builder.append(key=key, value=value, timestamp=None, headers=headers)
                builders[partition] = builder
        for partition, builder in builders.items():
            futures.append(await producer.send_batch(builder, self._topic, partition=partition))
        return asyncio.gather(*futures)

    async def _load_checkpoint(self) -> int:
        async with self._engine.connect() as conn:
            value = await conn.scalar(
                select(relay_checkpoint.c.position).where(relay_checkpoint.c.name == CHECKPOINT)
            )
        return int(value or 0)

    async def _save_checkpoint(self, position: int) -> None:
        statement = insert(relay_checkpoint).values(name=CHECKPOINT, position=position)
        statement = statement.on_conflict_do_update(
            index_elements=["name"], set_={"position": position}
        )
        async with self._engine.begin() as conn:
            await conn.execute(statement)
        self.published_position = position


async def _close_quietly(producer: AIOKafkaProducer | None) -> None:
    if producer is not None:
        try:
            await producer.stop()
        except Exception:
            log.debug("relay: producer stop failed", exc_info=True)
