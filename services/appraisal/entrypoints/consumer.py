"""The projection consumer: Kafka batches in, one projection transaction per batch.

Offsets live in the projection database, never in Kafka: on every assignment the consumer
seeks to the stored positions, so a restart resumes exactly where the last commit ended.
"""

import asyncio
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from services.appraisal.adapters.projection_store import DeadLetter, ProjectionStore, Record
from services.appraisal.metrics import Metrics

log = logging.getLogger(__name__)


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: "ProjectionConsumer") -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        await self._owner.seek_to_stored(list(assigned))


class ProjectionConsumer:
    def __init__(self, store: ProjectionStore, bootstrap: str, topic: str, dlq_topic: str,
                 group: str, metrics: Metrics, max_batch: int = 5000, poll_ms: int = 100) -> None:
        self.store, self.topic, self.dlq_topic = store, topic, dlq_topic
        self.metrics = metrics
        self._max_batch, self._poll_ms = max_batch, poll_ms
        self._bootstrap, self._group = bootstrap, group
        self.consumer: AIOKafkaConsumer
        self.producer: AIOKafkaProducer

    def assigned(self) -> list[int]:
        consumer = getattr(self, "consumer", None)
        return sorted(tp.partition for tp in consumer.assignment()) if consumer else []

    async def seek_to_stored(self, partitions: list[TopicPartition]) -> None:
        stored = await self.store.next_offsets(self.topic)
        for tp in partitions:
            if tp.partition in stored:
                self.consumer.seek(tp, stored[tp.partition])
            else:
                await self.consumer.seek_to_beginning(tp)

    async def run(self) -> None:
        # aiokafka clients must be created inside the running event loop
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=self._group, enable_auto_commit=False,
            auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=32 * 1024 * 1024)
        self.producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all",
                                         enable_idempotence=True)
        await self.producer.start()
        self.consumer.subscribe([self.topic], listener=_SeekToStored(self))
        await self.consumer.start()
        try:
            while True:
                await self._step()
        finally:
            await self.consumer.stop()
            await self.producer.stop()

    async def _step(self) -> None:
        fetched = await self.consumer.getmany(timeout_ms=self._poll_ms,
                                              max_records=self._max_batch)
        records = [Record(m.topic, m.partition, m.offset, m.value or b"", m.key, m.timestamp)
                   for messages in fetched.values() for m in messages]
        if records:
            try:
                result = await self.store.apply_batch(records, self._dead_letter)
            except Exception:
                log.exception("projection batch failed; rewinding to the stored positions")
                await self.seek_to_stored(list(self.consumer.assignment()))
                await asyncio.sleep(1.0)
                return
            self.metrics.applied.inc(result.applied)
            self.metrics.observe_positions(result.last_recorded_at)
        self.metrics.observe_lag(await self._lag())

    async def _lag(self) -> dict[int, int]:
        lag = {}
        for tp in self.consumer.assignment():
            highwater = self.consumer.highwater(tp)
            if highwater is not None:
                lag[tp.partition] = max(0, highwater - await self.consumer.position(tp))
        return lag

    async def _dead_letter(self, letters: list[DeadLetter]) -> None:
        for letter in letters:
            record = letter.record
            headers = [("reason", letter.reason.encode()), ("code", letter.code.encode()),
                       ("source_topic", record.topic.encode()),
                       ("source_partition", str(record.partition).encode()),
                       ("source_offset", str(record.offset).encode())]
            await self.producer.send_and_wait(self.dlq_topic, record.value, key=record.key,
                                              headers=headers)
            self.metrics.dead_letters.labels(code=letter.code).inc()
            log.warning("dead letter %s at %s/%d/%d", letter.code, record.topic,
                        record.partition, record.offset)
