"""Crash recovery on the real stack, with real processes killed by SIGKILL.

(a) The appraisal service consumes 50,000+ events while it is killed at random moments and
    restarted, again and again; once caught up its projections equal those of an
    uninterrupted in-process run over the same records, table by table (checksums).
(b) Intake is killed while concurrent HTTP requests are in flight; after a restart every
    request that got a success answer is in the event store and reaches Kafka.
(c) A batch whose transaction fails before the commit is rolled back; the consumer rewinds
    to the stored positions and the result is again that of an uninterrupted run.
"""

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.adapters.dead_letters import dead_letters
from services.appraisal.domain.records import Record
from services.appraisal.entrypoints.consumer import ProjectionConsumer
from services.appraisal.metrics import Metrics
from services.appraisal.service_layer.batches import ProjectionService, apply_records
from services.intake.adapters.tables import events as store_events
from shared.auth import Principal, issue_token
from shared.codec import decode_envelope
from shared.db import make_engine
from shared.kafka import raw_consumer, raw_producer
from shared.policy import default_policy_path
from shared.settings import AuthSettings, KafkaSettings
from tests.support.history import History, organisation_history, wire
from tests.support.recount import projected, recount
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
KAFKA = KafkaSettings().access()
PARTITIONS = 3
EVENTS = 52_000
KILLS = 6
CreateDb = Callable[[str], Awaitable[str]]
CreateTopic = Callable[..., Awaitable[str]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """A service as a real child process, with its output in a log file."""

    def __init__(self, module: str, env: dict[str, str], log: Path) -> None:
        self.module, self.env, self.log = module, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", self.module, "serve"], cwd=ROOT,
                                     env={**os.environ, **self.env}, stdout=out,
                                     stderr=subprocess.STDOUT)
        out.close()

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.module} exited: {self.log.read_text()[-3000:]}")


# -- (a) appraisal killed while consuming -----------------------------------------------------

async def produce(topic: str, history: History, duplicates: list[int]) -> int:
    """Publish like the relay does (keys, broadcasts on every partition), re-publishing the
    events at ``duplicates`` (indexes) once more right after they first went out."""
    producer = raw_producer(KAFKA, acks="all", enable_idempotence=True,
                                linger_ms=5, max_batch_size=512 * 1024)
    await producer.start()
    sent = 0
    try:
        futures = []
        replay_after = {index + 25: index for index in duplicates}
        for index, envelope in enumerate(history.envelopes):
            batch = [envelope]
            if index in replay_after:  # a relay crash: the last ~25 events go out again
                batch = [*history.envelopes[replay_after[index]:index], envelope]
            for item in batch:
                key, value = wire(item)
                targets = range(PARTITIONS) if key == b"*" else [None]
                for partition in targets:
                    futures.append(await producer.send(topic, value, key=key,
                                                       partition=partition))
                    sent += 1
            if len(futures) >= 5000:
                await asyncio.gather(*futures)
                futures = []
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


async def end_offsets(topic: str) -> dict[int, int]:
    consumer = raw_consumer(KAFKA)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        return {tp.partition: offset for tp, offset in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def stored_offsets(engine: AsyncEngine, topic: str) -> dict[int, int]:
    return await ProjectionService(engine).next_offsets(topic)


async def apply_uninterrupted(engine: AsyncEngine, topic: str, ends: dict[int, int]) -> int:
    """Read the topic from the beginning and apply it in-process, batch after batch."""
    consumer = raw_consumer(KAFKA, enable_auto_commit=False,
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    store, applied = ProjectionService(engine), 0
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        await consumer.seek_to_beginning()
        done: dict[int, int] = dict.fromkeys(range(PARTITIONS), 0)
        while any(done[p] < ends[p] for p in done):
            fetched = await consumer.getmany(timeout_ms=500, max_records=5000)
            records = [Record(m.topic, m.partition, m.offset, m.value or b"", m.key)
                       for batch in fetched.values() for m in batch]
            if records:
                result = await store.apply_batch(records)
                assert not result.dead_letters
                applied += result.applied
            for tp, batch in fetched.items():
                done[tp.partition] = batch[-1].offset + 1
    finally:
        await consumer.stop()
    return applied


async def test_killed_appraisal_converges_to_the_uninterrupted_projections(
    create_database: CreateDb, create_topic: CreateTopic, tmp_path: Path
) -> None:
    started = time.monotonic()
    topic = await create_topic("events", PARTITIONS)
    dlq = await create_topic("dlq", 1)
    live_url, reference_url = await create_database("appraisal"), await create_database(
        "appraisal")
    history = organisation_history(EVENTS)
    duplicates = [5_000, 20_000, 37_000]
    sent = await produce(topic, history, duplicates)
    ends = await end_offsets(topic)
    assert sum(ends.values()) == sent >= EVENTS
    produced_s = time.monotonic() - started

    live = make_engine(live_url)
    env = {"APPRAISAL_DATABASE_URL": live_url, "ERK_KAFKA_EVENTS_TOPIC": topic,
           "ERK_KAFKA_DLQ_TOPIC": dlq, "APPRAISAL_HTTP_PORT": str(free_port()),
           "APPRAISAL_MAX_BATCH": "2000"}
    rng = random.Random(int(os.environ.get("ERK_TEST_SEED", "4")))
    kills_mid_stream, progress = 0, []
    consume_started = time.monotonic()
    try:
        for round_ in range(KILLS + 1):
            # a fresh group each time: positions come from the database, never from Kafka,
            # and nobody waits for the killed member's session to expire
            service = Service("services.appraisal.entrypoints.cli",
                              {**env, "APPRAISAL_CONSUMER_GROUP": f"erk-crash-{uuid.uuid4()}"},
                              tmp_path / "appraisal.log")
            before = sum((await stored_offsets(live, topic)).values())
            service.start()
            if round_ == KILLS:
                break
            # let it make some progress, then kill it at a random moment
            async def progressed(service: Service = service, before: int = before) -> bool:
                service.check_alive()
                return sum((await stored_offsets(live, topic)).values()) != before

            await eventually(progressed, timeout=120, interval=0.02, what="progress")
            await asyncio.sleep(rng.uniform(0.0, 1.2))  # a random moment: the point
            service.kill()
            stored = await stored_offsets(live, topic)
            progress.append(sum(stored.values()))
            if stored != ends:
                kills_mid_stream += 1

        async def caught_up() -> bool:
            service.check_alive()
            return await stored_offsets(live, topic) == ends

        await eventually(caught_up, timeout=240, interval=0.2, what="appraisal caught up")
        service.stop()
    finally:
        service.stop()
    consumed_s = time.monotonic() - consume_started

    reference = make_engine(reference_url)
    try:
        in_process = time.monotonic()
        applied = await apply_uninterrupted(reference, topic, ends)
        in_process_s = time.monotonic() - in_process
        async with live.connect() as conn:
            live_sums = await table_checksums(conn)
            letters = await conn.scalar(select(func.count()).select_from(dead_letters))
        # counted from the events themselves, not by a second run of the same projection
        assert await projected(live) == recount(history.envelopes)
        async with reference.connect() as conn:
            reference_sums = await table_checksums(conn)
    finally:
        await live.dispose()
        await reference.dispose()
    assert letters == 0
    assert kills_mid_stream >= 5, f"only {kills_mid_stream} kills hit a stream in progress"
    # every event once: the re-published duplicates were dropped
    assert applied == len(history.envelopes) + (PARTITIONS - 1) * 2  # 2 broadcasts
    assert reference_sums["activities"][0] == sum(
        e.event_type == "ActivityReported" for e in history.envelopes)
    assert live_sums == reference_sums
    print(f"\ncrash test: {sent} records ({len(history.envelopes)} events, duplicates at "
          f"{duplicates}) produced in {produced_s:.1f}s; {KILLS} kills "
          f"({kills_mid_stream} mid-stream, progress {progress}), caught up after "
          f"{consumed_s:.1f}s; uninterrupted in-process apply {applied} events in "
          f"{in_process_s:.1f}s ({applied / in_process_s:.0f}/s); "
          f"total {time.monotonic() - started:.1f}s")


# -- (b) intake killed while answering --------------------------------------------------------

STAFF = [f"199001012015031{i:03d}" for i in range(1, 9)]  # birth, appointment, sex, number
BOSS = "196804111993031009"
INTAKE_STARTS_AT, WORK_DATE = "2026-03-18T09:00:00+07:00", "2026-03-18"


def bearer(subject: str, role: str) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg,arg-type]
                        timedelta(minutes=30))
    return {"Authorization": f"Bearer {token}"}


async def wait_healthy(client: httpx.AsyncClient, service: Service) -> None:
    async def answers() -> bool:
        service.check_alive()
        with contextlib.suppress(httpx.HTTPError):
            return (await client.get("/health")).status_code in (200, 503)
        return False

    await eventually(answers, timeout=60, interval=0.1, what="intake answering /health")


@pytest.fixture
async def intake_stack(create_database: CreateDb, create_topic: CreateTopic,
                       tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    url = await create_database("intake")
    topic = await create_topic("events", PARTITIONS)
    ingress, rejected = await create_topic("ingress", 1), await create_topic("rejected", 1)
    outcomes = await create_topic("outcomes", 1)
    port = free_port()
    env = {"INTAKE_DATABASE_URL": url, "INTAKE_HTTP_PORT": str(port),
           "ERK_KAFKA_EVENTS_TOPIC": topic, "ERK_KAFKA_INGRESS_TOPIC": ingress,
           "ERK_KAFKA_REJECTED_TOPIC": rejected, "INTAKE_INGRESS_GROUP": f"g-{uuid.uuid4()}",
           "ERK_KAFKA_OUTCOMES_TOPIC": outcomes,
           "INTAKE_POLICY_FILE": str(default_policy_path()),
           "ERK_CLOCK_AT": INTAKE_STARTS_AT}  # each start (also the restart) on that instant
    service = Service("services.intake.entrypoints.cli", env, tmp_path / "intake.log")
    engine = make_engine(url)
    try:
        yield {"service": service, "engine": engine, "topic": topic,
               "base": f"http://127.0.0.1:{port}", "ingress": ingress, "outcomes": outcomes}
    finally:
        service.stop()
        await engine.dispose()


async def test_killed_intake_loses_no_accepted_event(intake_stack: dict[str, Any]) -> None:
    started = time.monotonic()
    service: Service = intake_stack["service"]
    service.start()
    admin = bearer("admin", "admin")
    async with httpx.AsyncClient(base_url=intake_stack["base"], timeout=10) as client:
        await wait_healthy(client, service)
        for nip, structural in [(BOSS, True), *[(s, False) for s in STAFF]]:
            response = await client.post("/v1/employees", headers=admin, json={
                "nip": nip, "name": "Pegawai", "unit": "BAPENDA", "position": "Petugas",
                "structural": structural})
            assert response.status_code == 201, response.text
        for nip in STAFF:
            response = await client.post("/v1/reporting-lines", headers=admin, json={
                "nip": nip, "superior_nip": BOSS, "effective_from": "2020-01-01"})
            assert response.status_code == 201, response.text

    accepted: set[str] = set()
    attempted = 0
    answers: Counter[str] = Counter()
    work_date = WORK_DATE  # intake's 'today' (a fixed date, not the machine's)
    stop = asyncio.Event()

    async def worker(nip: str) -> None:
        nonlocal attempted
        headers = bearer(nip, "employee")
        async with httpx.AsyncClient(base_url=intake_stack["base"], timeout=5) as client:
            while not stop.is_set():
                activity_id = str(uuid.uuid4())
                attempted += 1
                try:
                    response = await client.post("/v1/activities", headers=headers, json={
                        "activity_id": activity_id, "nip": nip,
                        "work_date": work_date, "minutes": 1,  # 720 a day fit
                        "description": "Melayani pembayaran pajak kendaraan"})
                except httpx.HTTPError as exc:
                    answers[type(exc).__name__] += 1
                    await asyncio.sleep(0.05)  # the process is gone (or not back yet)
                    continue
                answers[str(response.status_code)] += 1
                if 200 <= response.status_code < 300:
                    accepted.add(activity_id)

    workers = [asyncio.create_task(worker(nip)) for nip in STAFF for _ in range(3)]
    try:
        await eventually(lambda: len(accepted) > 50, timeout=60, what="50 reports accepted")
        before_kill = len(accepted)
        service.kill()  # mid-way: requests in flight, relay publishing
        await asyncio.sleep(0.5)  # down for a while: the workers' requests fail meanwhile
        service.start()
        async with httpx.AsyncClient(base_url=intake_stack["base"], timeout=10) as client:
            await wait_healthy(client, service)
        restarted_with = len(accepted)
        await eventually(lambda: len(accepted) > restarted_with + 10, timeout=60,
                         what="reports accepted after the restart")
    finally:
        stop.set()
        await asyncio.gather(*workers)
    assert before_kill > 50 and len(accepted) > before_kill, answers

    # every accepted activity is in the store...
    async with intake_stack["engine"].connect() as conn:
        rows = await conn.execute(select(store_events.c.stream_id, store_events.c.position)
                                  .where(store_events.c.event_type == "ActivityReported"))
        stored = {row.stream_id.removeprefix("activity-"): row.position for row in rows}
        head = await conn.scalar(select(func.max(store_events.c.position)))
    assert accepted <= set(stored)

    # ... and on Kafka, once the restarted relay has caught up
    seen: set[str] = set()
    positions: set[int] = set()
    consumer = raw_consumer(KAFKA, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(intake_stack["topic"], p) for p in range(PARTITIONS)])
        await consumer.seek_to_beginning()
        deadline = time.monotonic() + 60
        while not (accepted <= seen and head in positions) and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                for record in batch:
                    envelope = decode_envelope(record.value)
                    positions.add(envelope.position or 0)
                    if envelope.event_type == "ActivityReported":
                        seen.add(envelope.payload["activity_id"])
    finally:
        await consumer.stop()
        service.stop()
    missing = accepted - seen
    assert not missing, f"{len(missing)} accepted activities never reached Kafka"
    assert positions >= set(range(1, (head or 0) + 1))  # gap-free up to the store's head
    print(f"\nintake kill test: {attempted} requests, {len(accepted)} accepted "
          f"({before_kill} before the kill; answers {dict(answers)}), {len(stored)} stored, "
          f"all on Kafka; "
          f"{time.monotonic() - started:.1f}s")


# -- (c) a batch transaction that fails mid-way -----------------------------------------------

class FlakyStore(ProjectionService):
    """Fails some batches after their changes were made, before the commit."""

    def __init__(self, engine: AsyncEngine, failing: set[int]) -> None:
        super().__init__(engine)
        self.calls, self.failing = 0, failing

    async def apply_batch(self, records: Any, on_dead_letters: Any = None) -> Any:
        self.calls += 1
        if self.calls not in self.failing:
            return await super().apply_batch(records, on_dead_letters)
        async with self.engine.begin() as conn:
            await apply_records(conn, records)
            raise ConnectionResetError("connection lost before the commit (simulated)")


async def test_failed_batch_rewinds_to_the_stored_positions(
    create_database: CreateDb, create_topic: CreateTopic
) -> None:
    topic = await create_topic("events", PARTITIONS)
    live_url, reference_url = (await create_database("appraisal"),
                               await create_database("appraisal"))
    history = organisation_history(3_000, seed=11)
    sent = await produce(topic, history, duplicates=[1_000])
    ends = await end_offsets(topic)
    live, reference = make_engine(live_url), make_engine(reference_url)
    metrics = Metrics()
    store = FlakyStore(live, failing={2, 5, 6, 9})
    consumer = ProjectionConsumer(store, KAFKA, topic, "erk.test.unused-dlq",
                                  f"erk-flaky-{uuid.uuid4().hex[:8]}", metrics, max_batch=300,
                                  poll_ms=50)
    task = asyncio.create_task(consumer.run())
    try:
        async def caught_up() -> bool:
            assert not task.done(), task.exception()
            return await stored_offsets(live, topic) == ends

        await eventually(caught_up, timeout=90, interval=0.1, what="the consumer caught up")
        assert metrics.registry.get_sample_value("erk_consumer_batch_failures_total") == 4
        await apply_uninterrupted(reference, topic, ends)
        async with live.connect() as conn:
            live_sums = await table_checksums(conn)
        async with reference.connect() as conn:
            assert live_sums == await table_checksums(conn)
        assert await projected(live) == recount(history.envelopes)
        assert sent > 3_000
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await live.dispose()
        await reference.dispose()
