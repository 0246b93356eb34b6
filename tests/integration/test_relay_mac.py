"""Only the relay writes history the projections accept, on the real PostgreSQL and Kafka:
the relay MACs every record (``shared.record_mac``); the consumer dead-letters a forged
record, with or without a MAC of its own, instead of letting its high position hide the
real events after it; a genuine re-publication is still skipped, a reused position with
another event id is not; ``dead-letters list`` tells which parked records would fail too."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from aiokafka import TopicPartition
from history_data import KAFKA
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from services.appraisal.adapters.dead_letters import dead_letters
from services.appraisal.adapters.delivered import delivered_events
from services.appraisal.domain.authenticity import Gate
from services.appraisal.entrypoints.consumer import ProjectionConsumer
from services.appraisal.entrypoints.dead_letters_cli import app as dead_letters_app
from services.appraisal.metrics import Metrics
from services.appraisal.projections.closed_periods import closed_periods
from services.appraisal.service_layer.batches import ProjectionService
from services.appraisal.service_layer.resolution import list_dead_letters
from services.intake.adapters.relay import Relay
from services.intake.adapters.unit_of_work import PostgresUnitOfWork
from services.intake.service_layer.ports import Context
from shared.auth import Principal
from shared.codec import encode
from shared.db import asyncpg_dsn, make_engine
from shared.envelope import EventEnvelope
from shared.events import PeriodClosed
from shared.kafka import partition_for, raw_consumer, raw_producer, streaming_producer
from shared.pseudonym import SUBJECT_ID_HEX
from shared.record_mac import RelayKey
from tests.support.keys import TEST_KEYS
from tests.support.pseudonyms import pseudonyms
from tests.support.waiting import eventually, never

pytestmark = pytest.mark.integration
CreateDb = Callable[..., Awaitable[str]]
CreateTopic = Callable[..., Awaitable[str]]
PARTITIONS = 3
NIPS = ["196804111993031009", "199001012015032001", "198505052010011002"]
FORGER = RelayKey(b"f" * 32)


@dataclass
class World:
    store_url: str
    store: AsyncEngine
    live: AsyncEngine
    live_url: str
    topic: str
    key: RelayKey
    metrics: Metrics
    periods: int = 0


@pytest.fixture
async def world(create_database: CreateDb, create_topic: CreateTopic) -> AsyncIterator[World]:
    store_url, live_url = await create_database("intake"), await create_database("appraisal")
    topic, dlq = await create_topic("events", PARTITIONS), await create_topic("dlq", 1)
    made = World(store_url, make_engine(store_url), make_engine(live_url), live_url, topic,
                 RelayKey(uuid.uuid4().bytes * 2), Metrics())
    consumer = ProjectionConsumer(ProjectionService(made.live, gate=Gate(made.key)), KAFKA,
                                  topic, dlq, f"erk-test-{uuid.uuid4().hex[:8]}", made.metrics,
                                  max_batch=500, poll_ms=50)
    task = asyncio.create_task(consumer.run())
    try:
        yield made
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await made.store.dispose()
        await made.live.dispose()


async def append(world: World, count: int) -> int:
    """``count`` periods closed through intake's unit of work; the store's new head."""
    for _ in range(count):
        world.periods += 1
        n = world.periods
        async with PostgresUnitOfWork(world.store, Context(Principal("admin", "admin")),
                                      TEST_KEYS) as uow:
            uow.record(PeriodClosed(period=f"{2000 + n}-01"), f"close-{n}", 1, NIPS[n % 3])
    return world.periods


async def relay_all(world: World, head: int) -> None:
    """The real relay, with the world's MAC key, until the whole store is on the topic."""
    relay = Relay(world.store, asyncpg_dsn(world.store_url),
                  lambda: streaming_producer(KAFKA), world.topic, idle_poll_s=0.2,
                  mac_key=world.key, pseudonyms=pseudonyms())
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: relay.published_position >= head, timeout=60,
                         what="the store published")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def consumed(world: World, records: int) -> None:
    """Wait until the consumer has consumed ``records`` records of the topic."""
    service = ProjectionService(world.live)

    async def offsets() -> bool:
        return sum((await service.next_offsets(world.topic)).values()) >= records

    await eventually(offsets, timeout=60, what=f"{records} records consumed")


async def closed(world: World) -> set[str]:
    async with world.live.connect() as conn:
        return set((await conn.scalars(select(closed_periods.c.period))).all())


async def letters(world: World) -> list[tuple[str, str, str]]:
    d = dead_letters.c
    async with world.live.connect() as conn:
        rows = await conn.execute(select(d.code, d.status, d.reason).order_by(d.id))
        return [(row.code, row.status, row.reason) for row in rows]


def envelope(position: int, period: str, subject: str) -> EventEnvelope:
    now = datetime.now(UTC)
    return EventEnvelope(
        event_id=uuid.uuid4(), event_type="PeriodClosed", schema_version=1,
        stream_id=f"forged-{uuid.uuid4()}", stream_version=1, position=position,
        subject_nip=subject, occurred_at=now, recorded_at=now, actor="admin", source="app",
        correlation_id=uuid.uuid4(), payload={"period": period})


async def send(world: World, value: bytes, key: bytes, mac: RelayKey | None) -> None:
    """Produce one record on the key's partition, as anyone who reaches the broker can."""
    partition = partition_for(key, PARTITIONS)
    headers = mac.headers(world.topic, partition, key, value) if mac else []
    producer = raw_producer(KAFKA)
    await producer.start()
    try:
        await producer.send_and_wait(world.topic, value, key=key, partition=partition,
                                     headers=headers)
    finally:
        await producer.stop()


async def test_no_record_key_or_header_on_the_topic_carries_a_nip(world: World) -> None:
    """A raw consumer of the events topic (any principal allowed to read it, any broker's
    log segment) sees subject ids and MACs, never the NIP an event is about."""
    head = await append(world, 9)
    await relay_all(world, head)
    await consumed(world, head)
    consumer = raw_consumer(KAFKA, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(world.topic, p) for p in range(PARTITIONS)])
        await consumer.seek_to_beginning()
        records = [r for batch in (await consumer.getmany(timeout_ms=5000)).values()
                   for r in batch]
    finally:
        await consumer.stop()
    assert len(records) == head
    exposed = [r.offset for r in records for nip in NIPS
               if nip.encode() in r.key + b"".join(v for _, v in r.headers)]
    assert exposed == []
    assert {r.key for r in records} == {pseudonyms().record_key(nip) for nip in NIPS}
    assert all(len(r.key) == SUBJECT_ID_HEX and r.headers for r in records)


@pytest.mark.parametrize("mac", [None, FORGER], ids=["no-mac", "forger-key"])
async def test_a_forged_high_position_is_dead_lettered_and_the_real_events_after_it_apply(
        world: World, mac: RelayKey | None) -> None:
    await relay_all(world, await append(world, 6))
    await consumed(world, 6)
    forged = envelope(10_000, "2099-01", NIPS[1])
    await send(world, encode(forged), pseudonyms().record_key(NIPS[1]), mac)
    head = await append(world, 6)  # two of them on the forged record's partition
    await relay_all(world, head)
    await consumed(world, 13)
    assert await closed(world) == {f"{2000 + n}-01" for n in range(1, 13)}
    reason = ("no relay MAC (header erk-mac)" if mac is None else
              f"relay MAC made with key {FORGER.key_id}, not {world.key.key_id}")
    assert await letters(world) == [("unauthenticated", "open", reason)]
    positions = await ProjectionService(world.live).positions(world.topic)
    assert max(p.last_position for p in positions.values()) == head  # not 10,000
    backlog = await ProjectionService(world.live).backlog(world.topic)
    assert (sum(backlog.held_keys.values()), backlog.open_dead_letters) == (
        0, {"unauthenticated": 1})
    (listed,) = await list_dead_letters(world.live_url, "open", 10)
    assert (listed["code"], listed["parked"], listed["failing"]) == ("unauthenticated", 0, [])


async def test_a_record_without_a_mac_is_dead_lettered_even_at_a_fresh_position(
        world: World) -> None:
    await relay_all(world, await append(world, 3))
    await consumed(world, 3)
    await send(world, encode(envelope(4, "2098-01", NIPS[0])), pseudonyms().record_key(NIPS[0]),
               None)
    await consumed(world, 4)
    await eventually(lambda: letters(world), what="a dead letter")
    assert await letters(world) == [("unauthenticated", "open", "no relay MAC (header erk-mac)")]
    assert "2098-01" not in await closed(world)
    retried = await asyncio.to_thread(CliRunner().invoke, dead_letters_app,
                                      ["retry", "1", "--url", world.live_url])
    assert retried.exit_code == 1
    assert "cannot retry a unauthenticated record" in retried.output


async def test_a_genuine_re_publication_is_skipped_and_a_reused_position_is_not(
        world: World) -> None:
    head = await append(world, 6)
    await relay_all(world, head)
    await consumed(world, 6)
    async with world.store.begin() as conn:  # as after a relay crash: all of it goes again
        await conn.execute(text("UPDATE relay_checkpoint SET position = 0 WHERE name = 'kafka'"))
    await relay_all(world, head)
    await consumed(world, 12)
    await never(lambda: letters(world), duration=1.0, what="a dead letter")
    assert await closed(world) == {f"{2000 + n}-01" for n in range(1, 7)}
    assert world.metrics.registry.get_sample_value("erk_events_duplicate_total") >= 6
    async with world.live.connect() as conn:  # the ids the claims were settled against
        delivered = dict((await conn.execute(select(
            delivered_events.c.position, delivered_events.c.event_id))).all())
    async with world.store.connect() as conn:
        stored = dict((await conn.execute(text("SELECT position, event_id::text FROM events")))
                      .all())
    assert delivered == stored
    # the relay's key on another event at a delivered position: not a re-publication
    async with world.store.connect() as conn:
        subject = await conn.scalar(text("SELECT subject_nip FROM events WHERE position = 3"))
    await send(world, encode(envelope(3, "2097-01", subject)), pseudonyms().record_key(subject),
               world.key)
    await consumed(world, 13)
    await eventually(lambda: letters(world), what="a dead letter")
    ((code, status, reason),) = await letters(world)
    assert (code, status) == ("position_reused", "open")
    assert "claims position 3, at or below the highest seen" in reason
    assert "2097-01" not in await closed(world)


async def test_dead_letters_list_shows_which_parked_records_would_fail_too(
        world: World) -> None:
    await relay_all(world, await append(world, 3))
    await consumed(world, 3)
    key = pseudonyms().record_key(NIPS[2])
    for value in [b"not json", encode(envelope(50, "2096-01", NIPS[2])), b"\x00 nor this",
                  encode(envelope(51, "2096-02", NIPS[2]))]:
        await send(world, value, key, world.key)  # the relay's key: poison, not forgery
    await consumed(world, 7)
    await eventually(lambda: letters(world), what="a dead letter")
    async with world.live.connect() as conn:
        poison = await conn.scalar(select(dead_letters.c.offset))
    (letter,) = await list_dead_letters(world.live_url, "open", 10)
    assert (letter["code"], letter["parked"], letter["failing"]) == (
        "undecodable", 3, [poison + 2])  # of the three behind it, one fails too
    listed = await asyncio.to_thread(CliRunner().invoke, dead_letters_app,
                                     ["list", "--url", world.live_url])
    assert listed.exit_code == 0, listed.output
    assert "would fail too" in listed.output
    assert f"1 (offsets {poison + 2})" in listed.output
