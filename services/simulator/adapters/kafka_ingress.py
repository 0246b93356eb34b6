"""The Kafka ingress as an e-service uses it: ReportActivity JSON records, keyed by an opaque
id of the employee (a hash of the NIP with this producer's own salt: never the NIP), with
an ``authorization: Bearer <token>`` header; plus reading back the refusals."""

import asyncio
import contextlib
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import TopicPartition

from shared.kafka import admin as kafka_admin
from shared.kafka import consumer as kafka_consumer
from shared.kafka import streaming_producer, target_partitions
from shared.kafka_access import KafkaAccess


@dataclass
class _Open:
    """A batch being filled for one partition, and when each of its records was queued."""

    builder: Any
    queued: list[float] = field(default_factory=list)


class IngressProducer:
    """Builds its own batches per partition (as the relay does) and ships them when full or
    ``linger_s`` after they were opened: a record then costs one append, not aiokafka's
    per-record routing, future and callbacks (which capped one process at ~13,000/s)."""

    def __init__(self, access: KafkaAccess, topic: str, linger_s: float = 0.005) -> None:
        self.access = access
        self.topic = topic
        self.linger_s = linger_s
        self.producer = streaming_producer(access)
        self._salt = secrets.token_bytes(16)
        self.produced: dict[int, set[int]] = {}
        """Partition -> offsets this producer wrote."""
        self.latencies: list[float] = []
        """Seconds from each record's queueing until Kafka acknowledged it (drained by
        ``flush``)."""
        self.failed = 0
        """Records whose batch Kafka did not acknowledge."""
        self._partitions: list[int] = []
        self._keys: dict[str, tuple[bytes, int]] = {}
        self._headers: dict[str, list[tuple[str, bytes]]] = {}
        self._open: dict[int, _Open] = {}
        self._shipped: set[asyncio.Future[Any]] = set()
        self._shipping = asyncio.Lock()  # batches of a partition leave in the order built
        self._linger: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "IngressProducer":
        await self.producer.start()
        self._partitions = sorted(await self.producer.partitions_for(self.topic))
        self._linger = asyncio.create_task(self._ship_lingering())
        return self

    async def __aexit__(self, *_: object) -> None:
        try:
            if self._linger is not None:
                self._linger.cancel()
                await asyncio.gather(self._linger, return_exceptions=True)
            await self.flush()
        finally:
            await self.producer.stop()

    def employee_key(self, nip: str) -> bytes:
        """One employee's records share a key (and stay in order); the key reveals no NIP."""
        return hashlib.blake2b(nip.encode(), key=self._salt, digest_size=16).hexdigest().encode()

    def _routed(self, nip: str) -> tuple[bytes, int]:
        """The employee's key and its partition (Kafka's default rule), once per employee."""
        if (known := self._keys.get(nip)) is None:
            key = self.employee_key(nip)
            known = self._keys[nip] = key, target_partitions(key, self._partitions)[0]
        return known

    def _authorization(self, token: str) -> list[tuple[str, bytes]]:
        if (headers := self._headers.get(token)) is None:
            headers = self._headers[token] = [("authorization", f"Bearer {token}".encode())]
        return headers

    async def send(self, body: dict[str, Any], token: str) -> None:
        """Queue one record (acknowledged, or counted as failed, by ``flush``)."""
        key, partition = self._routed(str(body["nip"]))
        value, headers = orjson.dumps(body), self._authorization(token)
        batch = self._open.get(partition)
        if batch is None:
            batch = self._open[partition] = _Open(self.producer.create_batch())
        if batch.builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
            await self._ship(partition)
            batch = self._open[partition] = _Open(self.producer.create_batch())
            batch.builder.append(key=key, value=value, timestamp=None, headers=headers)
        batch.queued.append(time.perf_counter())

    async def flush(self) -> None:
        """Ship every open batch and wait until Kafka answered for all of them."""
        for partition in list(self._open):
            await self._ship(partition)
        if self._shipped:
            await asyncio.wait(self._shipped)

    async def _ship_lingering(self) -> None:
        while True:
            await asyncio.sleep(self.linger_s)
            for partition in list(self._open):
                await self._ship(partition)

    async def _ship(self, partition: int) -> None:
        async with self._shipping:
            batch = self._open.pop(partition, None)
            if batch is None or not batch.queued:
                return
            ack = await self.producer.send_batch(batch.builder, self.topic, partition=partition)
        self._shipped.add(ack)
        ack.add_done_callback(lambda done: self._acknowledged(done, partition, batch.queued))

    def _acknowledged(self, ack: "asyncio.Future[Any]", partition: int,
                      queued: list[float]) -> None:
        self._shipped.discard(ack)
        if ack.cancelled() or ack.exception() is not None:
            self.failed += len(queued)
            return
        now, first = time.perf_counter(), ack.result().offset
        self.produced.setdefault(partition, set()).update(range(first, first + len(queued)))
        self.latencies.extend(now - at for at in queued)


async def end_offsets(access: KafkaAccess, topic: str) -> dict[int, int]:
    consumer = kafka_consumer(access)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer.topics()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        ends = await consumer.end_offsets(tps) if tps else {}
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def wait_consumed(access: KafkaAccess, group: str, topic: str, produced: dict[int, set[int]],
                        wait_s: float = 120.0) -> bool:
    """Wait until ``group`` committed past every offset we produced (intake ingested them)."""
    targets = {p: max(offsets) + 1 for p, offsets in produced.items() if offsets}
    admin = kafka_admin(access)
    await admin.start()
    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            committed = await admin.list_consumer_group_offsets(group)
            done = {tp.partition: meta.offset for tp, meta in committed.items()
                    if tp.topic == topic}
            if all(done.get(p, -1) >= end for p, end in targets.items()):
                return True
            await asyncio.sleep(0.5)
        return False
    finally:
        await admin.close()


async def refusals(access: KafkaAccess, rejected_topic: str, ingress_topic: str,
                   since: dict[int, int], produced: dict[int, set[int]]) -> dict[str, int]:
    """Codes of the refusals of our records, read from the rejection topic after ``since``
    (committed ones only: intake writes them in transactions)."""
    consumer = kafka_consumer(access, committed_only=True)
    await consumer.start()
    codes: dict[str, int] = {}
    try:
        ends = await end_offsets(access, rejected_topic)
        tps = [TopicPartition(rejected_topic, p) for p in ends if ends[p] > since.get(p, 0)]
        if not tps:
            return codes
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, since.get(tp.partition, 0))
        remaining = {tp.partition: ends[tp.partition] for tp in tps}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000)
            if not batch:
                break
            for tp, records in batch.items():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers or ()}
                    with contextlib.suppress(KeyError, ValueError):
                        if (headers["source_topic"] == ingress_topic
                                and int(headers["source_offset"])
                                in produced.get(int(headers["source_partition"]), ())):
                            codes[headers["code"]] = codes.get(headers["code"], 0) + 1
                    if record.offset + 1 >= remaining.get(tp.partition, 0):
                        remaining.pop(tp.partition, None)
        return codes
    finally:
        await consumer.stop()
