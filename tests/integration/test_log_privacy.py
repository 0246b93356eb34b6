"""Logs hold no personal data beyond ids, on the real stack: a representative flow (a
roster entry relayed and projected, refused commands, a poison record on the events topic
dead-lettered, a supervised task failing on a database error whose DETAIL names a NIP)
logs its warnings and tracebacks, and none of them carries a NIP or a name."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import text

from services.appraisal.entrypoints.consumer import ProjectionConsumer
from services.appraisal.metrics import Metrics
from services.appraisal.service_layer.batches import ProjectionService
from services.intake.bootstrap import build_app
from services.intake.domain.commands import RegisterEmployee
from services.intake.settings import IntakeSettings
from shared.auth import Principal
from shared.db import make_engine
from shared.kafka import raw_producer
from shared.supervisor import Supervisor
from tests.e2e.support import KAFKA
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

STAFF, NAME = "199001012015032001", "Siti Aminah"
OTHER = "198505052010011002"
CreateDb = Callable[..., Awaitable[str]]
CreateTopic = Callable[..., Awaitable[str]]


def leaks(records: list[logging.LogRecord]) -> list[str]:
    """The log lines (message and traceback) that carry a NIP or a name of the flow."""
    lines = [f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in records]
    return [line for line in lines if any(s in line for s in (STAFF, OTHER, NAME, "Aminah"))]


async def failing_on_a_duplicate_nip(url: str) -> None:
    """A task that dies the way a bug would: PostgreSQL refuses a row, naming its NIP."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TEMP TABLE roster (nip text PRIMARY KEY)"))
            for _ in range(2):
                await conn.execute(text("INSERT INTO roster VALUES (:nip)"), {"nip": STAFF})
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def consuming(url: str, topic: str, dlq: str) -> AsyncIterator[ProjectionService]:
    engine = make_engine(url)
    service = ProjectionService(engine)
    consumer = ProjectionConsumer(service, KAFKA, topic, dlq, f"erk-test-{uuid.uuid4().hex[:8]}",
                                  Metrics(), max_batch=100, poll_ms=50)
    task = asyncio.create_task(consumer.run())
    try:
        yield service
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await engine.dispose()


async def test_a_representative_flow_logs_no_nip_and_no_name(
        create_database: CreateDb, create_topic: CreateTopic, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, live = await create_database("intake"), await create_database("appraisal")
    topic, dlq = await create_topic("events", 3), await create_topic("dlq", 1)
    monkeypatch.setenv("ERK_KAFKA_EVENTS_TOPIC", topic)
    caplog.set_level(logging.DEBUG)
    app = build_app(IntakeSettings(database_url=store, relay_idle_poll_s=0.1),
                    run_relay=True, run_ingress=False)
    admin = Principal("admin", "admin")
    async with app.router.lifespan_context(app), consuming(live, topic, dlq) as projections:
        intake = app.state.intake
        await intake.execute(admin, [RegisterEmployee(nip=STAFF, name=NAME, unit="SAMSAT-01",
                                                      position="Petugas Loket")])
        await intake.execute(admin, [RegisterEmployee(nip=OTHER, name=NAME, unit="NOWHERE",
                                                      position="x", job_class=1)])
        poison = orjson.dumps({"event_type": "EmployeeRegistered", "nip": STAFF, "name": NAME})
        producer = raw_producer(KAFKA)
        await producer.start()
        try:
            await producer.send_and_wait(topic, poison, key=STAFF.encode(), partition=0)
        finally:
            await producer.stop()
        supervisor = Supervisor(CollectorRegistry(), first_backoff_s=0.1)
        supervisor.start("roster-import", lambda: failing_on_a_duplicate_nip(live))
        try:
            async def letters() -> bool:
                return bool((await projections.backlog(topic)).open_dead_letters)

            await eventually(letters, timeout=60, what="the poison record dead-lettered")
            await eventually(lambda: any("roster-import failed" in r.getMessage()
                                         for r in caplog.records), what="the task's failure")
        finally:
            await supervisor.stop()
    logged = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("dead letter undecodable") for m in logged), logged
    failure = next(r for r in caplog.records if "roster-import failed" in r.getMessage())
    assert failure.exc_text and "UniqueViolation" in failure.exc_text  # a traceback, redacted
    assert leaks(caplog.records) == []
