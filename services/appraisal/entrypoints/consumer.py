"""The projection consumer: Kafka batches in, one projection transaction per batch.

Offsets live in the projection database, never in Kafka: on start and on every assignment
the consumer seeks to the stored positions, so a restart resumes exactly where the last
commit ended. When a batch fails (database down, dead-letter topic unreachable...) its
transaction rolls back and the consumer rewinds to the stored positions before it fetches
anything else; until the rewind succeeds it fetches nothing, so no record is ever passed
over. Dead letters are published (idempotent producer, acks=all) before the commit.
"""

import asyncio
import logging
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from services.appraisal.adapters.projection_store import DeadLetter, ProjectionStore, Record
from services.appraisal.metrics import Metrics
from shared import kafka

log = logging.getLogger(__name__)

BACKLOG_REFRESH_S = 5.0
MAX_BACKOFF_S = 10.0


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: "ProjectionConsumer") -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        try:
            await self._owner.seek_to_stored(list(assigned))
        except Exception:
            # the main loop rewinds before it fetches again
            log.exception("cannot read the stored positions on assignment")
            self._owner.rewind_needed = True


class ProjectionConsumer:
    def __init__(self, store: ProjectionStore, bootstrap: str, topic: str, dlq_topic: str,
                 group: str, metrics: Metrics, max_batch: int = 5000, poll_ms: int = 100) -> None:
        self.store, self.topic, self.dlq_topic = store, topic, dlq_topic
        self.metrics = metrics
        self._max_batch, self._poll_ms = max_batch, poll_ms
        self._bootstrap, self._group = bootstrap, group
        self.consumer: AIOKafkaConsumer
        self.producer: AIOKafkaProducer | None = None
        self.rewind_needed = False
        self._failures = 0
        self._backlog_due = 0.0

    def assigned(self) -> list[int]:
        consumer = getattr(self, "consumer", None)
        return sorted(tp.partition for tp in consumer.assignment()) if consumer else []

    async def seek_to_stored(self, partitions: list[TopicPartition]) -> None:
        stored = await self.store.positions(self.topic)
        for tp in partitions:
            if tp.partition in stored:
                self.consumer.seek(tp, stored[tp.partition]["next_offset"])
                recorded_at = stored[tp.partition]["last_recorded_at"]
                if recorded_at is not None:
                    self.metrics.observe_positions({tp.partition: recorded_at})
            else:
                await self.consumer.seek_to_beginning(tp)

    async def run(self) -> None:
        # aiokafka clients must be created inside the running event loop
        self.consumer = kafka.consumer(self._bootstrap, self._group)
        self.consumer.subscribe([self.topic], listener=_SeekToStored(self))
        await self.consumer.start()
        try:
            while True:
                await self.step()
        finally:
            await self.consumer.stop()
            await self._drop_producer()

    async def step(self) -> None:
        """One round: rewind if a batch failed, else fetch and apply one batch."""
        if self.rewind_needed:
            try:
                await self.seek_to_stored(list(self.consumer.assignment()))
                self.rewind_needed = False
            except Exception:
                log.exception("rewind to the stored positions failed; retrying")
                await self._back_off()
                return
        try:
            await self._apply_next()
            self._failures = 0
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("projection batch failed; rewinding to the stored positions")
            self.metrics.batch_failures.inc()
            self.rewind_needed = True
            await self._drop_producer()  # an idempotent producer may be wedged: recreate it
            await self._back_off()

    async def _apply_next(self) -> None:
        fetched = await self.consumer.getmany(timeout_ms=self._poll_ms,
                                              max_records=self._max_batch)
        records = [Record(m.topic, m.partition, m.offset, m.value or b"", m.key, m.timestamp)
                   for messages in fetched.values() for m in messages]
        if records:
            result = await self.store.apply_batch(records, self._dead_letter)
            self.metrics.applied.inc(result.applied)
            self.metrics.duplicates.inc(result.skipped)
            self.metrics.parked_total.inc(result.parked)
            for letter in result.dead_letters:
                self.metrics.dead_letters.labels(code=letter.code).inc()
            self.metrics.observe_positions(result.last_recorded_at)
            if result.parked or result.dead_letters:
                self._backlog_due = 0.0
        self.metrics.observe_lag(await self._lag())
        if time.monotonic() >= self._backlog_due:
            backlog = await self.store.backlog(self.topic)
            self.metrics.observe_backlog(backlog.held_keys, backlog.parked,
                                         backlog.open_dead_letters)
            self._backlog_due = time.monotonic() + BACKLOG_REFRESH_S

    async def _back_off(self) -> None:
        self._failures += 1
        await asyncio.sleep(min(MAX_BACKOFF_S, 0.5 * 2 ** min(self._failures, 5)))

    async def _lag(self) -> dict[int, int]:
        lag = {}
        for tp in self.consumer.assignment():
            highwater = self.consumer.highwater(tp)
            if highwater is not None:
                lag[tp.partition] = max(0, highwater - await self.consumer.position(tp))
        return lag

    async def _producer(self) -> AIOKafkaProducer:
        if self.producer is None:
            producer = kafka.producer(self._bootstrap)
            await producer.start()
            self.producer = producer
        return self.producer

    async def _drop_producer(self) -> None:
        producer, self.producer = self.producer, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception:  # already recovering from an error
                log.debug("dead-letter producer stop failed", exc_info=True)

    async def _dead_letter(self, letters: list[DeadLetter]) -> None:
        await publish_dead_letters(await self._producer(), self.dlq_topic, letters)


async def publish_dead_letters(producer: AIOKafkaProducer, dlq_topic: str,
                               letters: list[DeadLetter]) -> None:
    """Each dead letter to the dead-letter topic: original bytes and key, and headers with
    the reason and the source coordinates. Waits for every acknowledgement."""
    futures = []
    for letter in letters:
        record = letter.record
        headers = [("reason", letter.reason.encode()), ("code", letter.code.encode()),
                   ("source_topic", record.topic.encode()),
                   ("source_partition", str(record.partition).encode()),
                   ("source_offset", str(record.offset).encode()),
                   ("dead_letter_id", str(letter.id or "").encode())]
        futures.append(await producer.send(dlq_topic, record.raw(), key=record.key,
                                           headers=headers))
        log.warning("dead letter %s at %s/%d/%d: %s", letter.code, record.topic,
                    record.partition, record.offset, letter.reason)
    await asyncio.gather(*futures)
