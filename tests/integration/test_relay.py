"""The relay: committed events reach Kafka, in order per key, broadcasts on every partition."""

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiokafka import TopicPartition
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.relay import CHECKPOINT, Relay
from services.intake.adapters.tables import relay_checkpoint
from services.intake.adapters.unit_of_work import PostgresUnitOfWork
from services.intake.bootstrap import asyncpg_dsn
from services.intake.service_layer.ports import Context
from shared.auth import Principal
from shared.codec import decode_envelope, decode_payload
from shared.db import make_engine
from shared.envelope import EventEnvelope
from shared.events import PeriodClosed
from shared.kafka import raw_consumer, streaming_producer
from shared.settings import KafkaSettings
from shared.topics import BROADCAST_KEY
from tests.support.keys import TEST_KEYS
from tests.support.pseudonyms import pseudonyms
from tests.support.waiting import eventually, never

pytestmark = pytest.mark.integration

ADMIN = Principal("admin", "admin")
NIPS = ["196804111993031009", "199001012015032001", "198505052010011002",
        "197512312000121003", "198001012005011001"]
PARTITIONS = 3  # the `topic` fixture's
KAFKA = KafkaSettings().access()
CreateDb = Callable[[str], Awaitable[str]]

Received = list[tuple[int, EventEnvelope]]  # (partition, envelope)


@pytest.fixture
async def relay_db(create_database: CreateDb) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database of its own: the relay publishes everything in the store."""
    url = await create_database("intake")
    engine = make_engine(url)
    try:
        yield url, engine
    finally:
        await engine.dispose()


async def append(engine: AsyncEngine, subject: str, count: int = 1) -> list[int]:
    stream = f"test-{uuid.uuid4().hex}"
    async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS) as uow:
        recorded = [uow.record(PeriodClosed(period="2026-01"), stream, v, subject)
                    for v in range(1, count + 1)]
    return [r.position or 0 for r in recorded]


@contextlib.asynccontextmanager
async def running(relay: Relay) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(relay.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def published(relay: Relay, task: asyncio.Task[None], position: int) -> None:
    def done() -> bool:
        if task.done():
            task.result()  # surfaces the relay's error
        return relay.published_position >= position

    await eventually(done, timeout=30, what=f"position {position} published")


async def consume(topic: str, expected: int, wait_s: float = 30) -> Received:
    """Everything on the topic from the beginning; waits for ``expected`` records."""
    consumer = raw_consumer(KAFKA, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    received: Received = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        await consumer.seek_to_beginning()
        deadline = asyncio.get_running_loop().time() + wait_s
        while len(received) < expected and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    envelope = decode_envelope(record.value)
                    assert record.key == pseudonyms().record_key(envelope.subject_nip)
                    assert not any(nip.encode() in record.key for nip in NIPS)
                    received.append((tp.partition, envelope))
        # anything beyond the expectation (duplicates) shows up here
        for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
            received.extend((tp.partition, decode_envelope(r.value)) for r in records)
    finally:
        await consumer.stop()
    return received


async def checkpoint(engine: AsyncEngine) -> int | None:
    async with engine.connect() as conn:
        return await conn.scalar(select(relay_checkpoint.c.position)
                                 .where(relay_checkpoint.c.name == CHECKPOINT))


def make_relay(url: str, engine: AsyncEngine, topic: str) -> Relay:
    # long poll: only NOTIFY wakes it quickly
    return Relay(engine, asyncpg_dsn(url), lambda: streaming_producer(KAFKA), topic,
                 batch_size=7, idle_poll_s=30, pseudonyms=pseudonyms())


async def test_relay_publishes_in_order_broadcasts_and_resumes_from_checkpoint(
    relay_db: tuple[str, AsyncEngine], topic: str,
) -> None:
    url, engine = relay_db
    # before the relay runs: several NIPs, interleaved, and a broadcast in the middle
    positions: dict[str, list[int]] = {nip: [] for nip in NIPS}
    for round_ in range(4):
        for nip in NIPS:
            positions[nip] += await append(engine, nip, count=round_ + 1)
    broadcast = await append(engine, BROADCAST_KEY)
    for nip in NIPS:
        positions[nip] += await append(engine, nip)
    head = max(max(p) for p in positions.values())
    assert head == 5 * (1 + 2 + 3 + 4) + 1 + 5
    assert await checkpoint(engine) is None

    relay = make_relay(url, engine, topic)
    async with running(relay) as task:
        await published(relay, task, head)
        assert await checkpoint(engine) == head

        # appended while the relay idles (30 s poll): the NOTIFY wakes it
        started = asyncio.get_running_loop().time()
        (live,) = await append(engine, NIPS[0])
        await published(relay, task, live)
        assert asyncio.get_running_loop().time() - started < 10, "NOTIFY did not wake the relay"
        positions[NIPS[0]].append(live)
        assert await checkpoint(engine) == live

    expected = head - 1 + PARTITIONS + 1  # each event once, the broadcast on every partition
    received = await consume(topic, expected)
    assert len(received) == expected

    # every event arrived exactly once (the broadcast once per partition)
    copies = Counter(e.position for _, e in received)
    assert copies == {p: (PARTITIONS if p in broadcast else 1) for p in range(1, live + 1)}
    # the broadcast reached every partition
    assert {part for part, e in received if e.subject_nip == BROADCAST_KEY} == set(
        range(PARTITIONS))
    # per key: one partition, in position order
    for nip, expected_positions in positions.items():
        mine = [(part, e.position) for part, e in received if e.subject_nip == nip]
        assert len({part for part, _ in mine}) == 1, f"{nip} spread over partitions"
        assert [p for _, p in mine] == expected_positions
    # per partition: positions strictly ascend (so a consumer can drop replays by position)
    for part in range(PARTITIONS):
        seen = [e.position or 0 for p, e in received if p == part]
        assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert all(decode_payload(e) == PeriodClosed(period="2026-01") for _, e in received)

    # restart: resumes after the checkpoint, republishes nothing already confirmed
    (after_restart,) = await append(engine, NIPS[1])
    relay = make_relay(url, engine, topic)
    async with running(relay) as task:
        await published(relay, task, after_restart)
    assert await checkpoint(engine) == after_restart
    again = await consume(topic, expected + 1)
    assert len(again) == expected + 1
    assert Counter(e.position for _, e in again)[after_restart] == 1
    assert Counter(e.position for _, e in again) == Counter(
        [e.position for _, e in received] + [after_restart])


async def test_only_one_relay_leads(relay_db: tuple[str, AsyncEngine], topic: str) -> None:
    url, engine = relay_db
    first, second = make_relay(url, engine, topic), make_relay(url, engine, topic)
    (position,) = await append(engine, NIPS[2])
    async with running(first) as task_1:
        await published(first, task_1, position)
        async with running(second) as task_2:
            await never(lambda: task_2.done() or second.published_position, 1.0,
                        what="a second relay publishing (or stopping) while one leads")
        (later,) = await append(engine, NIPS[2])
        await published(first, task_1, later)
    received = await consume(topic, 2)
    assert [e.position for _, e in received] == [position, later]
