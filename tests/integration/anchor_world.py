"""A store anchored by the checkpointer, and the forger's tools, for the anchoring tests
(tests/integration/test_anchoring.py, test_checkpointer.py)."""

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from history_data import KAFKA, publish_all
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.service_layer.verify import AuditReport, run_verify
from services.intake.adapters.checkpoint_log import PostgresCheckpointLog, kafka_publisher
from services.intake.adapters.unit_of_work import PostgresUnitOfWork
from services.intake.service_layer.checkpointer import Checkpointer
from services.intake.service_layer.ports import Context, OpenPublisher
from shared.auth import Principal
from shared.chain import chain_hash
from shared.clock import SystemClock
from shared.codec import encode
from shared.db import make_engine
from shared.envelope import EventEnvelope
from shared.events import ActivityReported, PeriodClosed
from shared.history import events
from shared.kafka import partition_for, raw_producer
from shared.signing import FileSigner, generate_key_files
from tests.support.keys import TEST_KEYS
from tests.support.pseudonyms import pseudonyms

CreateDb = Callable[..., Awaitable[str]]
CreateTopic = Callable[..., Awaitable[str]]
ROOT = Path(__file__).resolve().parents[2]
NIPS = ["196804111993031009", "199001012015032001", "198505052010011002"]
PARTITIONS = 3


@dataclass
class World:
    store_url: str
    live_url: str
    engine: AsyncEngine
    topic: str
    checkpoints_topic: str
    key_file: Path
    events: int = 0


@contextlib.asynccontextmanager
async def make_world(create_database: CreateDb, create_topic: CreateTopic, tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    """A store, a live database, an events topic, a checkpoints topic and a key pair of
    their own (the auditor's public key configured)."""
    key_file, public = generate_key_files(tmp_path / "checkpoint.pem")
    checkpoints_topic = await create_topic("checkpoints", 1)
    monkeypatch.setenv("ERK_KAFKA_CHECKPOINTS_TOPIC", checkpoints_topic)
    monkeypatch.setenv("APPRAISAL_CHECKPOINT_PUBLIC_KEY_FILE", str(public))
    store_url = await create_database("intake")
    engine = make_engine(store_url)
    try:
        yield World(store_url, await create_database("appraisal"), engine,
                    await create_topic("events", PARTITIONS), checkpoints_topic, key_file)
    finally:
        await engine.dispose()


async def append(world: World, engine: AsyncEngine, count: int) -> int:
    """``count`` events through intake's unit of work, one position each; the new head."""
    for _ in range(count):
        n = world.events = world.events + 1
        async with PostgresUnitOfWork(engine, Context(Principal("admin", "admin")),
                                      TEST_KEYS) as uow:
            uow.record(PeriodClosed(period=f"2025-{n % 12 + 1:02d}"), f"t-{n}", 1, NIPS[n % 3])
    return world.events


async def anchored(world: World, bursts: tuple[int, ...] = (10, 10)) -> int:
    """Events in bursts, each published by the relay and checkpointed; returns the head."""
    checkpointer = checkpointer_of(world, interval_s=3600, every_events=5)
    async with kafka_publisher(KAFKA, world.checkpoints_topic) as publisher:
        for burst in bursts:
            head = await append(world, world.engine, burst)
            await publish_all(world.store_url, world.engine, world.topic, head)
            assert (await checkpointer.round(publisher)) is not None
    return head


def checkpointer_of(world: World, open_publisher: OpenPublisher | None = None,
                    **timing: Any) -> Checkpointer:
    """The checkpointer intake runs, on the world's store, key and topic."""
    return Checkpointer(
        PostgresCheckpointLog(world.engine), FileSigner(world.key_file), SystemClock(),
        open_publisher or (lambda: kafka_publisher(KAFKA, world.checkpoints_topic)), **timing)


async def audit(world: World) -> AuditReport:
    return await run_verify(world.store_url, world.live_url, KAFKA, world.topic,
                            partitions=PARTITIONS, pseudonyms=pseudonyms())


def named(report: AuditReport) -> list[tuple[str, int | None, uuid.UUID | None]]:
    assert report.anchoring is not None
    return [(f.kind, f.position, f.event_id) for f in report.anchoring.findings]


async def forge_activity(world: World, publish: bool = False) -> EventEnvelope:
    """A superuser's forgery: an ActivityReported of 480 minutes appended at the head with
    a correctly computed chain hash (and, with ``publish``, written to the events topic)."""
    async with world.engine.connect() as conn:
        head = (await conn.execute(select(events.c.position, events.c.hash)
                                   .order_by(events.c.position.desc()).limit(1))).one()
    now = datetime.now(UTC)
    activity = ActivityReported(activity_id=uuid.uuid4(), nip=NIPS[1], work_date=date(2026, 3, 2),
                                minutes=480, description="Pelayanan PKB", source="app")
    forged = EventEnvelope(
        event_id=uuid.uuid4(), event_type="ActivityReported", schema_version=1,
        stream_id=f"activity-{activity.activity_id}", stream_version=1,
        position=head.position + 1, subject_nip=NIPS[1], occurred_at=now, recorded_at=now,
        actor=NIPS[1], source="app", correlation_id=uuid.uuid4(),
        payload=activity.model_dump(mode="json"))
    async with world.engine.begin() as conn:
        await conn.execute(events.insert().values(
            **{**vars(forged), "payload": forged.payload}, prev_hash=head.hash,
            hash=chain_hash(head.hash, forged)))
    if publish:
        await send(world.topic, encode(forged), NIPS[1].encode(),
                    partition_for(NIPS[1].encode(), PARTITIONS))
    return forged


async def send(topic: str, value: bytes, key: bytes, partition: int = 0) -> None:
    kafka = raw_producer(KAFKA)
    await kafka.start()
    try:
        await kafka.send_and_wait(topic, value, key=key, partition=partition)
    finally:
        await kafka.stop()


async def disable_immutability(engine: AsyncEngine) -> None:
    """As the tables' owner (a superuser would do the same), turn the append-only guard off."""
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_immutable"))
        await conn.execute(text("ALTER TABLE checkpoints DISABLE TRIGGER checkpoints_immutable"))


def verify_command(world: World) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "services.appraisal.entrypoints.audit_cli", "verify",
            "--store-url", world.store_url, "--live-url", world.live_url,
            "--topic", world.topic, "--partitions", str(PARTITIONS)]
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False,
                          env={**os.environ, "COLUMNS": "250"})  # one table row a line


