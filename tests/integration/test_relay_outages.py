"""The relay survives database outages by itself: its connections are terminated
(``pg_terminate_backend`` on the test's own database, never a restart of the shared
server), the supervisor starts it again, and it publishes everything; a relay that cannot
lead shows as stalled in health and metrics."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.relay import RELAY_LEADER_LOCK, Relay
from services.intake.adapters.relay_lag import read_relay_lag
from services.intake.adapters.unit_of_work import PostgresUnitOfWork
from services.intake.bootstrap import build_app
from services.intake.service_layer.ports import Context
from services.intake.settings import IntakeSettings
from shared.auth import Principal
from shared.codec import decode_envelope
from shared.db import asyncpg_dsn, make_engine
from shared.events import PeriodClosed
from shared.kafka import raw_consumer, streaming_producer
from shared.settings import KafkaSettings
from shared.supervisor import Supervisor
from tests.support.keys import TEST_KEYS
from tests.support.pseudonyms import pseudonyms
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

KAFKA = KafkaSettings().access()
NIPS = ["196804111993031009", "199001012015032001", "198505052010011002"]
CreateDb = Callable[[str], Awaitable[str]]


@pytest.fixture
async def store(create_database: CreateDb) -> AsyncIterator[tuple[str, AsyncEngine]]:
    url = await create_database("intake")
    engine = make_engine(url)
    try:
        yield url, engine
    finally:
        await engine.dispose()


async def append(engine: AsyncEngine, count: int = 1) -> None:
    stream = f"test-{uuid.uuid4().hex}"
    async with PostgresUnitOfWork(engine, Context(Principal("admin", "admin")), TEST_KEYS) as uow:
        for version in range(1, count + 1):
            uow.record(PeriodClosed(period="2026-01"), stream, version, NIPS[version % 3])


async def lag(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        figures = await read_relay_lag(conn)
    return figures.head, figures.checkpoint


async def terminate(url: str, only_listener: bool = False) -> int:
    """Terminate the client sessions of the test's own role on its database (the erk
    role may signal its own; an autovacuum worker there is a superuser's process and
    must be left alone); ``only_listener``: just the session holding the relay's lock."""
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        holder = ("AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
                  "AND objid = $2)") if only_listener else ""
        args: list[Any] = [name] + ([RELAY_LEADER_LOCK] if only_listener else [])
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 "
            "AND usename = current_user AND backend_type = 'client backend' "
            f"AND pid <> pg_backend_pid() {holder}", *args)
        return len(rows)
    finally:
        await admin.close()


async def positions_on(topic: str, expected: int) -> set[int]:
    consumer = raw_consumer(KAFKA, enable_auto_commit=False)
    await consumer.start()
    seen: set[int] = set()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(3)])
        await consumer.seek_to_beginning()

        async def all_seen() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen.update(decode_envelope(r.value).position or 0 for r in records)
            return len(seen) >= expected

        await eventually(all_seen, timeout=30, what=f"{expected} positions on the topic")
    finally:
        await consumer.stop()
    return seen


@contextlib.asynccontextmanager
async def supervised(relay: Relay) -> AsyncIterator[Supervisor]:
    supervisor = Supervisor(CollectorRegistry(), first_backoff_s=0.1, max_backoff_s=1.0)
    supervisor.start("relay", relay.run)
    try:
        yield supervisor
    finally:
        await supervisor.stop()


async def moved_past(engine: AsyncEngine, mark: int) -> bool:
    with contextlib.suppress(Exception):  # the probe's connection may be one that died
        return (await lag(engine))[1] > mark
    return False


async def caught_up(engine: AsyncEngine, what: str) -> int:
    async def done() -> int:
        head, checkpoint = await lag(engine)
        return head if head == checkpoint else 0

    return await eventually(done, timeout=60, interval=0.1, what=what)


async def test_relay_recovers_from_terminated_connections_under_load(
        store: tuple[str, AsyncEngine], topic: str) -> None:
    url, engine = store
    # a 30 s poll: a relay that came back without its LISTEN would be slow to see new events
    relay = Relay(engine, asyncpg_dsn(url), lambda: streaming_producer(KAFKA), topic,
                  batch_size=50, idle_poll_s=30,
                  pseudonyms=pseudonyms())
    await append(engine, 20)
    async with supervised(relay) as supervisor:
        await caught_up(engine, "the first events published")

        # the LISTEN connection alone (and with it the leader lock): the relay starts over
        assert await terminate(url, only_listener=True) == 1
        await eventually(lambda: supervisor.report()["relay"]["restarts"] >= 1, timeout=10,
                         what="the relay restarted after losing its LISTEN connection")
        await eventually(lambda: supervisor.report()["status"] == "ok", timeout=10)
        await append(engine, 3)
        started = asyncio.get_running_loop().time()
        await caught_up(engine, "published after the listener came back")
        assert asyncio.get_running_loop().time() - started < 10, "NOTIFY no longer wakes it"

        # every connection of the database, three times, while events keep coming
        async def load() -> None:
            while True:
                with contextlib.suppress(Exception):  # the appender's own connections die too
                    await append(engine, 5)
                await asyncio.sleep(0.01)

        loader = asyncio.create_task(load())
        try:
            for _ in range(3):
                before = supervisor.report()["relay"]["restarts"]
                mark = (await lag(engine))[1]
                await eventually(lambda m=mark: moved_past(engine, m), timeout=30,
                                 what="the relay publishing under load")
                assert await terminate(url) >= 1
                await eventually(lambda b=before: supervisor.report()["relay"]["restarts"] > b,
                                 timeout=15, what="a restart after the connections died")
        finally:
            loader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loader
        head = await caught_up(engine, "everything published after the outages")
        # a relay can publish the last events and only then find its listener gone: it is
        # then between restarts for a moment, and ok again once it leads
        await eventually(lambda: supervisor.report()["status"] == "ok", timeout=15,
                         what="the relay leading again after the outages")
    assert await positions_on(topic, head) >= set(range(1, head + 1))


async def test_a_relay_that_cannot_lead_shows_as_stalled(
        store: tuple[str, AsyncEngine], topic: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url, engine = store
    monkeypatch.setenv("ERK_KAFKA_EVENTS_TOPIC", topic)
    # a wedged leader elsewhere: it holds the lock and publishes nothing
    wedged = await asyncpg.connect(asyncpg_dsn(url))
    await wedged.execute("SELECT pg_advisory_lock($1)", RELAY_LEADER_LOCK)
    app = build_app(IntakeSettings(database_url=url, relay_stall_after_s=1.0),
                    run_ingress=False)
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
            await append(engine, 4)

            async def stalled() -> dict[str, Any]:
                answer = await client.get("/health")
                body: dict[str, Any] = answer.json()
                return body if answer.status_code == 503 and body["status"] == "degraded" else {}

            health = await eventually(stalled, timeout=20, what="health degraded")
            assert health["relay"]["status"] == "stalled"
            assert health["relay"]["lag_events"] == 4 and health["relay"]["checkpoint"] == 0
            assert health["relay"]["lag_seconds"] > 0
            assert health["tasks"]["relay"]["status"] == "ok"  # waiting for the lock is no crash
            metrics = (await client.get("/metrics")).text
            assert "erk_relay_stalled 1.0" in metrics
            assert "erk_relay_lag_events 4.0" in metrics

            await wedged.close()  # the wedged leader goes: ours takes over
            await caught_up(engine, "published once the lock was free")

            async def healthy() -> bool:
                return (await client.get("/health")).status_code == 200

            await eventually(healthy, timeout=20, what="health ok again")
            metrics = (await client.get("/metrics")).text
            assert "erk_relay_stalled 0.0" in metrics and "erk_relay_lag_events 0.0" in metrics
    finally:
        if not wedged.is_closed():
            await wedged.close()
