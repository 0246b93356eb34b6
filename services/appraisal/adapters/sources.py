"""Where a rebuild reads its records: the event store or Kafka. Each yields, batch by
batch, the records the live consumer would see — same topic, same partition per key,
broadcast events once on every partition (``shared.kafka``), in global position order — so a
rebuild through the live code path equals the live projections, and never holds more than
one batch in memory."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.appraisal.domain.records import NOW, AsOf, Record, from_kafka
from shared.history import EventHistory
from shared.kafka import admin as kafka_admin
from shared.kafka import consumer as kafka_consumer
from shared.kafka import target_partitions
from shared.kafka_access import KafkaAccess
from shared.pseudonym import Pseudonyms

BATCH = 10_000


@dataclass
class SourceStats:
    events: int = 0
    """Source events read (a broadcast counts once)."""
    records: int = 0
    """Records fed to the projections (a broadcast counts once per partition)."""


async def partition_ids(access: KafkaAccess, topic: str) -> list[int]:
    """The partitions of ``topic`` from the broker's metadata."""
    admin = kafka_admin(access, request_timeout_ms=10000)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code") or not described.get("partitions"):
        raise LookupError(f"topic {topic!r} does not exist on {access.bootstrap}")
    return sorted(p["partition"] for p in described["partitions"])


async def store_batches(
    history: EventHistory, topic: str, partitions: int, upto: int,
    limits: dict[int, int] | None = None, batch: int = BATCH,
    stats: SourceStats | None = None, *, pseudonyms: Pseudonyms,
) -> AsyncIterator[list[Record]]:
    """Records as the relay would publish them (keyed by subject id with the relay's
    ``pseudonyms``, so on the same partitions), for events with position <= ``upto``.

    ``limits`` (partition -> last position) stops each partition where a live consumer
    stands; a partition missing from it gets nothing. Offsets are synthetic but stable
    (a count per partition), so a rebuild into the same target can resume.
    """
    stats = stats if stats is not None else SourceStats()
    offsets = [0] * partitions
    everyone = range(partitions)
    records: list[Record] = []
    async for envelope in history.stream(upto_position=upto):
        stats.events += 1
        key = pseudonyms.record_key(envelope.subject_nip)
        position = envelope.position or 0
        for partition in target_partitions(key, everyone):
            if limits is not None and position > limits.get(partition, 0):
                continue
            records.append(Record(topic, partition, offsets[partition], b"", key,
                                  envelope=envelope))
            offsets[partition] += 1
        if len(records) >= batch:
            stats.records += len(records)
            yield records
            records = []
    if records:
        stats.records += len(records)
        yield records


@dataclass
class KafkaRange:
    start: dict[int, int] = field(default_factory=dict)
    end: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(max(0, self.end[p] - self.start.get(p, 0)) for p in self.end)


async def kafka_batches(
    access: KafkaAccess, topic: str, as_of: AsOf = NOW, start: dict[int, int] | None = None,
    end: dict[int, int] | None = None, batch: int = BATCH, stats: SourceStats | None = None,
    window: KafkaRange | None = None,
) -> AsyncIterator[list[Record]]:
    """Records of ``topic`` from ``start`` (default: the beginning) to ``end`` (default: the
    end offsets when it starts), read without a consumer group (nothing is committed).

    With an as-of bound a partition stops at its first event past the bound: the relay
    publishes in position order, so whatever follows is past it too, or a re-publication
    of something already read.
    """
    stats = stats if stats is not None else SourceStats()
    window = window if window is not None else KafkaRange()
    consumer = kafka_consumer(access)
    await consumer.start()
    try:
        active = await _seek(consumer, access, topic, start or {}, end or {}, window)
        records: list[Record] = []
        while active:
            fetched = await consumer.getmany(timeout_ms=1000, max_records=batch)
            for tp, messages in fetched.items():
                if tp in active:
                    _take(consumer, tp, messages, window, as_of, active, records)
            if len(records) >= batch or (records and not active):
                stats.events += len(records)
                stats.records += len(records)
                yield records
                records = []
    finally:
        await consumer.stop()


async def _seek(consumer: AIOKafkaConsumer, access: KafkaAccess, topic: str, start: dict[int, int],
                end: dict[int, int], window: KafkaRange) -> set[TopicPartition]:
    """Assign every partition, seek to its start; the partitions with records to read."""
    tps = [TopicPartition(topic, p) for p in await partition_ids(access, topic)]
    consumer.assign(tps)
    first = await consumer.beginning_offsets(tps)
    last = await consumer.end_offsets(tps)
    for tp in tps:
        window.start[tp.partition] = max(first[tp], start.get(tp.partition, 0))
        window.end[tp.partition] = min(last[tp], end.get(tp.partition, last[tp]))
        consumer.seek(tp, window.start[tp.partition])
    active = {tp for tp in tps if window.start[tp.partition] < window.end[tp.partition]}
    consumer.pause(*[tp for tp in tps if tp not in active])
    return active


def _take(consumer: AIOKafkaConsumer, tp: TopicPartition, messages: list[Any],
          window: KafkaRange, as_of: AsOf, active: set[TopicPartition],
          records: list[Record]) -> None:
    """Add a partition's fetched messages up to its end or the as-of bound."""
    end = window.end[tp.partition]
    for m in messages:
        if m.offset >= end or as_of.excludes(m.value):
            break
        records.append(from_kafka(m))
        if m.offset + 1 >= end:
            break
    else:
        return
    active.discard(tp)
    consumer.pause(tp)
