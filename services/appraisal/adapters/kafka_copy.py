"""The Kafka copy of the history, read for the audit: whole topics from their beginning to
the end offsets when the read starts, without a consumer group (nothing is committed), and
the comparison of the events topic with the store.

The store's side is one content digest per position (16 bytes of sha256 over the event's
canonical bytes, so the event id is covered) in one flat ``bytearray``: 25 million events
take 400 MB, however they are spread over partitions, re-published or broadcast.
"""

import hashlib
from collections.abc import AsyncIterator
from uuid import UUID

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import select

from shared.anchoring import AnchorFinding, Kind
from shared.codec import UndecodableEvent, canonical_bytes, decode_envelope
from shared.envelope import EventEnvelope
from shared.history import EventHistory, events
from shared.kafka import admin as kafka_admin
from shared.kafka import consumer as kafka_consumer
from shared.kafka_access import KafkaAccess

DIGEST = 16
LATER_KEPT = 100_000
"""Most records past the store's head kept for a second look (events newer than the read)."""


def digest_of(envelope: EventEnvelope) -> bytes:
    return content_digest(canonical_bytes(envelope))


def content_digest(canonical: bytes) -> bytes:
    """The digest of an event's canonical bytes (``shared.codec.canonical_bytes``)."""
    return hashlib.sha256(canonical).digest()[:DIGEST]


class StoreDigests:
    """Position -> content digest of the stored event, and which ones Kafka has shown.

    Flat arrays up to ``capacity`` (the store's row count: positions are gap-free); a
    position beyond it (a row someone inserted far ahead) goes to a small dict instead, so
    a forged position cannot make the audit allocate terabytes."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._digests = bytearray(DIGEST * (capacity + 1))
        self._seen = bytearray(capacity + 1)
        self._seen[0] = 1
        self._sparse: dict[int, bytes] = {}
        self._sparse_seen: set[int] = set()

    def put(self, position: int, digest: bytes) -> None:
        if 1 <= position <= self.capacity:
            self._digests[position * DIGEST:(position + 1) * DIGEST] = digest
        else:
            self._sparse[position] = digest

    def get(self, position: int) -> bytes | None:
        if not 1 <= position <= self.capacity:
            return self._sparse.get(position)
        value = bytes(self._digests[position * DIGEST:(position + 1) * DIGEST])
        return value if any(value) else None

    def seen(self, position: int) -> None:
        if 1 <= position <= self.capacity:
            self._seen[position] = 1
        else:
            self._sparse_seen.add(position)

    def unseen(self) -> list[int]:
        """Stored positions no Kafka record matched."""
        found, position = [], self._seen.find(0)
        while position != -1:
            if self.get(position):
                found.append(position)
            position = self._seen.find(0, position + 1)
        return found + sorted(set(self._sparse) - self._sparse_seen)


async def partition_ids(access: KafkaAccess, topic: str) -> list[int] | None:
    """The topic's partitions, or None when it does not exist (asked without creating it)."""
    admin = kafka_admin(access, request_timeout_ms=10_000)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code") or not described.get("partitions"):
        return None
    return sorted(p["partition"] for p in described["partitions"])


async def read_topic(access: KafkaAccess, topic: str,
                     partitions: list[int]) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic`` up to the end offsets as the read starts."""
    consumer = kafka_consumer(access)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        active = {tp for tp in tps if await consumer.position(tp) < end[tp]}
        while active:
            fetched = await consumer.getmany(*active, timeout_ms=1000)
            for tp, records in fetched.items():
                for record in records:
                    if record.offset < end[tp]:
                        yield record
            # by position, not by the last record: offsets may skip (transaction markers)
            active = {tp for tp in active if await consumer.position(tp) < end[tp]}
    finally:
        await consumer.stop()


class _Findings:
    def __init__(self) -> None:
        self.found: dict[tuple[Kind, int | None], AnchorFinding] = {}

    def add(self, kind: Kind, position: int | None, event_id: UUID | None,
            detail: str) -> None:
        self.found.setdefault((kind, position), AnchorFinding(kind, position, event_id, detail))


async def compare_events(history: EventHistory, access: KafkaAccess, topic: str, head: int,
                         digests: StoreDigests) -> list[AnchorFinding]:
    """Every stored event up to ``head`` (``digests``) is on ``topic`` with the same content, and
    the topic holds no event the store lacks (nor anything that is not an event)."""
    out = _Findings()
    partitions = await partition_ids(access, topic)
    if partitions is None:
        out.add("event_not_on_kafka", None, None, f"the events topic {topic} does not exist")
        return list(out.found.values())
    later: dict[int, tuple[UUID, bytes]] = {}
    async for record in read_topic(access, topic, partitions):
        try:
            envelope = decode_envelope(record.value or b"")
        except UndecodableEvent as exc:
            out.add("event_unreadable", None, None,
                    f"partition {record.partition} offset {record.offset}: {exc}")
            continue
        position, digest = envelope.position or 0, digest_of(envelope)
        if position > head:
            if len(later) < LATER_KEPT:
                later[position] = (envelope.event_id, digest)
            continue
        if _compare(out, digests.get(position), position, envelope.event_id, digest):
            digests.seen(position)
    await _compare_later(out, history, head, later)
    for position in digests.unseen():
        out.add("event_not_on_kafka", position, None,
                "stored, but not on the events topic (never published by the relay)")
    return await _named(out, history)


def _compare(out: _Findings, stored: bytes | None, position: int, event_id: UUID,
             digest: bytes) -> bool:
    """Whether Kafka's record matches the stored digest; a finding when it does not."""
    if stored is None:
        out.add("event_not_in_store", position, event_id,
                "on the events topic, but the store has no event at this position")
    elif stored != digest:
        out.add("event_differs", position, event_id,
                "Kafka's copy differs from the stored event at this position")
    return stored == digest


async def _compare_later(out: _Findings, history: EventHistory, head: int,
                         later: dict[int, tuple[UUID, bytes]]) -> None:
    """Records past the head read at the start: stored since (fine), or not in the store."""
    if not later:
        return
    newer = {row.position: digest_of(row.envelope)
             async for row in history.rows(head, max(later)) if row.envelope is not None}
    for position, (event_id, digest) in sorted(later.items()):
        _compare(out, newer.get(position), position, event_id, digest)


async def _named(out: _Findings, history: EventHistory) -> list[AnchorFinding]:
    """Fill in the stored event's id where the finding has none (the first ones per kind)."""
    missing = sorted(p for (kind, p), f in out.found.items()
                     if p is not None and f.event_id is None)[:1000]
    ids: dict[int, UUID] = {}
    if missing:
        async with history.engine.connect() as conn:
            rows = await conn.execute(select(events.c.position, events.c.event_id)
                                      .where(events.c.position.in_(missing)))
            ids = {row.position: row.event_id for row in rows}
    return [AnchorFinding(f.kind, f.position, f.event_id or ids.get(f.position or 0), f.detail)
            for f in sorted(out.found.values(), key=lambda f: (f.position or 0, f.kind))]
