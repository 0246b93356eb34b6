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
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from services.appraisal.adapters.dead_letter_topic import DeadLetterTopic
from services.appraisal.domain.records import Record, from_kafka
from services.appraisal.metrics import Metrics
from services.appraisal.service_layer.batches import BatchResult, ProjectionService
from shared import kafka
from shared.kafka_access import KafkaAccess

log = logging.getLogger(__name__)

Fetched = tuple[dict[TopicPartition, list[Any]], list[Record]]
"""One ``getmany``: its messages by partition, and their records."""

BACKLOG_REFRESH_S = 5.0
DECODE_CHUNK = 250
"""Records decoded ahead between two turns of the event loop (~2 ms of CPU here)."""
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
    def __init__(self, service: ProjectionService, access: KafkaAccess, topic: str, dlq_topic: str,
                 group: str, metrics: Metrics, max_batch: int = 5000, poll_ms: int = 100) -> None:
        self.service, self.topic = service, topic
        self.metrics = metrics
        self.dead_letters = DeadLetterTopic(access, dlq_topic)
        self._max_batch, self._poll_ms = max_batch, poll_ms
        self._access, self._group = access, group
        self.consumer: AIOKafkaConsumer
        self.rewind_needed = False
        self._failures = 0
        self._backlog_due = 0.0
        self._next: asyncio.Task[Fetched] | None = None
        """The next batch, fetched and decoded while the current one is applied."""
        self._ahead: dict[int, int] = {}
        """Records of the next batch by partition: fetched (the consumer's position is past
        them) but not applied, so still lag."""
        self._unapplied: dict[int, int] = {}
        """Per partition, the first offset fetched but not applied (a failed batch)."""

    def assigned(self) -> list[int]:
        consumer = getattr(self, "consumer", None)
        return sorted(tp.partition for tp in consumer.assignment()) if consumer else []

    async def seek_to_stored(self, partitions: list[TopicPartition]) -> None:
        stored = await self.service.positions(self.topic)
        for tp in partitions:
            position = stored.get(tp.partition)
            if position is None:
                await self.consumer.seek_to_beginning(tp)
                continue
            self.consumer.seek(tp, position.next_offset)
            if position.last_recorded_at is not None:
                self.metrics.observe_positions({tp.partition: position.last_recorded_at})

    async def run(self) -> None:
        # aiokafka clients must be created inside the running event loop
        self.consumer = kafka.consumer(self._access, self._group)
        self.consumer.subscribe([self.topic], listener=_SeekToStored(self))
        try:
            await self.consumer.start()
            while True:
                await self.step()
        finally:
            await self._drop_prefetch()
            await self.consumer.stop()
            await self.dead_letters.close()

    async def step(self) -> None:
        """One round: rewind if a batch failed, else fetch and apply one batch."""
        if self.rewind_needed:
            try:
                await self._drop_prefetch()
                await self.seek_to_stored(list(self.consumer.assignment()))
                self.rewind_needed = False
                self._unapplied.clear()
            except Exception:
                log.exception("rewind to the stored positions failed; retrying")
                await self._observe_lag_from_broker()
                await self._back_off()
                return
        try:
            await self._apply_next()
            self._failures = 0
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("projection batch failed; rewinding to the stored positions")
            await self._drop_prefetch()
            self.metrics.batch_failures.inc()
            self.rewind_needed = True
            await self.dead_letters.close()  # an idempotent producer may be wedged
            await self._observe_lag_from_broker()
            await self._back_off()

    async def _apply_next(self) -> None:
        fetched, records = await (self._next or self._fetch(ahead=False))
        self._ahead = {}
        # Fetch and decode the next batch while this one waits on the database: decoding is
        # CPU in this process, applying mostly PostgreSQL's. A failure drops it (and
        # rewinds), so nothing fetched is passed over.
        self._next = asyncio.create_task(self._fetch(ahead=True))
        for tp, messages in fetched.items():
            self._unapplied.setdefault(tp.partition, messages[0].offset)
        if records:
            self._observe(await self.service.apply_batch(records, self.dead_letters.publish))
        self._unapplied.clear()
        self.metrics.observe_lag(await self._lag())
        if time.monotonic() >= self._backlog_due:
            backlog = await self.service.backlog(self.topic)
            self.metrics.observe_backlog(backlog.held_keys, backlog.parked,
                                         backlog.open_dead_letters)
            self._backlog_due = time.monotonic() + BACKLOG_REFRESH_S

    async def _fetch(self, ahead: bool) -> Fetched:
        fetched = await self.consumer.getmany(timeout_ms=self._poll_ms,
                                              max_records=self._max_batch)
        if ahead:
            self._ahead = {tp.partition: len(batch) for tp, batch in fetched.items()}
        messages = [m for batch in fetched.values() for m in batch]
        records: list[Record] = []
        for start in range(0, len(messages), DECODE_CHUNK):
            records.extend(from_kafka(m, ahead) for m in messages[start:start + DECODE_CHUNK])
            if ahead:
                await asyncio.sleep(0)  # let the current batch's database replies through
        return fetched, records

    async def _drop_prefetch(self) -> None:
        """Forget the batch fetched ahead: the consumer rewinds before it fetches again."""
        task, self._next, self._ahead = self._next, None, {}
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _observe(self, result: BatchResult) -> None:
        self.metrics.applied.inc(result.applied)
        self.metrics.observe_consumed(result.applied + result.skipped + result.parked
                                      + len(result.dead_letters))
        self.metrics.duplicates.inc(result.skipped)
        self.metrics.parked_total.inc(result.parked)
        for letter in result.dead_letters:
            self.metrics.dead_letters.labels(code=letter.code).inc()
        self.metrics.observe_positions(result.last_recorded_at)
        if result.parked or result.dead_letters:
            self._backlog_due = 0.0  # show the new backlog now

    async def _back_off(self) -> None:
        self._failures += 1
        await asyncio.sleep(min(MAX_BACKOFF_S, 0.5 * 2 ** min(self._failures, 5)))

    async def _observe_lag_from_broker(self) -> None:
        """While batches fail nothing is fetched, so the fetch metadata goes stale: ask the
        broker for the end offsets, so that the lag shows what waits meanwhile (counted
        from the first record not applied: the failed batch was fetched, not consumed)."""

        async def lag() -> dict[int, int]:
            assigned = list(self.consumer.assignment())
            ends = await self.consumer.end_offsets(assigned)
            return {tp.partition: max(0, ends[tp] - min(await self.consumer.position(tp),
                                                        self._unapplied.get(tp.partition,
                                                                            ends[tp])))
                    for tp in assigned}

        try:
            self.metrics.observe_lag(await asyncio.wait_for(lag(), 5))
        except Exception:
            log.debug("lag from the broker unavailable", exc_info=True)

    async def _lag(self) -> dict[int, int]:
        lag = {}
        for tp in self.consumer.assignment():
            highwater = self.consumer.highwater(tp)
            if highwater is not None:
                fetched = await self.consumer.position(tp) - self._ahead.get(tp.partition, 0)
                lag[tp.partition] = max(0, highwater - fetched)
        return lag
