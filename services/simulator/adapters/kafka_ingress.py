"""The Kafka ingress as an e-service uses it: ReportActivity JSON records, keyed by an opaque
id of the employee (a hash of the NIP with this producer's own salt: never the NIP), with
an ``authorization: Bearer <token>`` header; plus reading back the refusals."""

import asyncio
import contextlib
import hashlib
import secrets
import time
from typing import Any

import orjson
from aiokafka import TopicPartition

from shared.kafka import admin as kafka_admin
from shared.kafka import consumer as kafka_consumer
from shared.kafka import streaming_producer
from shared.kafka_access import KafkaAccess


class IngressProducer:
    def __init__(self, access: KafkaAccess, topic: str) -> None:
        self.access = access
        self.topic = topic
        self.producer = streaming_producer(access)
        self._salt = secrets.token_bytes(16)
        self.produced: dict[int, set[int]] = {}
        """Partition -> offsets this producer wrote."""

    async def __aenter__(self) -> "IngressProducer":
        await self.producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.producer.stop()

    def employee_key(self, nip: str) -> bytes:
        """One employee's records share a key (and stay in order); the key reveals no NIP."""
        return hashlib.blake2b(nip.encode(), key=self._salt, digest_size=16).hexdigest().encode()

    async def send(self, body: dict[str, Any], token: str) -> "asyncio.Future[float]":
        """Queue one record; the returned future gives the seconds until Kafka acknowledged."""
        started = time.perf_counter()
        ack = await self.producer.send(
            self.topic, orjson.dumps(body), key=self.employee_key(str(body["nip"])),
            headers=[("authorization", f"Bearer {token}".encode())])
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

        def _acked(future: "asyncio.Future[Any]") -> None:
            if future.exception() is not None:
                done.set_exception(future.exception())  # type: ignore[arg-type]
                return
            meta = future.result()
            self.produced.setdefault(meta.partition, set()).add(meta.offset)
            done.set_result(time.perf_counter() - started)

        ack.add_done_callback(_acked)
        return done


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
