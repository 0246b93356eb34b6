"""Poison records on the real stack: the consumer dead-letters them (topic + table), keeps
going for other keys, holds later records of the same key until an operator retries or
skips, then applies them in order; metrics count all of it."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from services.appraisal.adapters.dead_letters import dead_letters
from services.appraisal.entrypoints.consumer import ProjectionConsumer
from services.appraisal.entrypoints.dead_letters_cli import app as dead_letters_app
from services.appraisal.metrics import Metrics
from services.appraisal.projections.activities import activities
from services.appraisal.projections.employee_months import employee_months
from services.appraisal.service_layer.batches import ProjectionService
from shared.codec import UPCASTERS, encode
from shared.db import make_engine
from shared.events import ActivityReported
from shared.kafka import raw_consumer, raw_producer
from shared.settings import KafkaSettings
from tests.support.history import History, nip, wire
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

KAFKA = KafkaSettings().access()
PARTITIONS = 3
CreateDb = Callable[[str], Awaitable[str]]
CreateTopic = Callable[..., Awaitable[str]]


async def status_of(engine: AsyncEngine, activity_id: uuid.UUID) -> dict[str, Any] | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(activities).where(
            activities.c.activity_id == str(activity_id)))).first()
        return dict(row._mapping) if row else None


async def dlq_records(topic: str, expected: int) -> list[Any]:
    consumer = raw_consumer(KAFKA, topic, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while len(found) < expected and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(records)
    finally:
        await consumer.stop()
    return found


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def stack(create_database: CreateDb, create_topic: CreateTopic) -> AsyncIterator[
    dict[str, Any]
]:
    url = await create_database("appraisal")
    topic = await create_topic("events", PARTITIONS)
    dlq = await create_topic("dlq", 1)
    engine = make_engine(url)
    metrics = Metrics()
    consumer = ProjectionConsumer(ProjectionService(engine), KAFKA, topic, dlq,
                                  f"erk-test-{uuid.uuid4().hex[:8]}", metrics, max_batch=500,
                                  poll_ms=50)
    task = asyncio.create_task(consumer.run())
    producer = raw_producer(KAFKA, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        yield {"url": url, "topic": topic, "dlq": dlq, "engine": engine, "metrics": metrics,
               "producer": producer, "task": task}
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await producer.stop()
        await engine.dispose()


async def publish(stack: dict[str, Any], key: bytes, value: bytes) -> None:
    producer: AIOKafkaProducer = stack["producer"]
    if key == b"*":
        for partition in range(PARTITIONS):
            await producer.send_and_wait(stack["topic"], value, key=key, partition=partition)
    else:
        await producer.send_and_wait(stack["topic"], value, key=key)


async def cli(*args: str) -> Any:
    """The operator command, as a person would run it (in a thread: it runs its own loop)."""
    return await asyncio.to_thread(CliRunner().invoke, dead_letters_app, list(args))


async def test_poison_records_are_dead_lettered_and_hold_their_key(
    stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine: AsyncEngine = stack["engine"]
    metrics: Metrics = stack["metrics"]
    history = History()
    staff, boss, bystander = [1, 2, 4, 5], 3, 6
    for i in [*staff, boss, bystander]:
        await publish(stack, *wire(history.employee(i, structural=i == boss)))
    for i in [*staff, bystander]:
        await publish(stack, *wire(history.line(i, boss)))
    await publish(stack, *wire(history.policy()))

    # one poison record per kind, each for a different employee
    day = date(2026, 1, 5)
    newer, newer_id = history.activity(1, day)
    unknown = orjson.loads(encode(history.activity(2, day)[0]))
    unknown["event_type"] = "ActivityTeleported"
    broken = orjson.loads(encode(history.activity(4, day)[0]))
    broken["payload"]["minutes"] = 5000
    poison = {
        "unknown_version": (nip(1).encode(),
                            encode(newer.model_copy(update={"schema_version": 2}))),
        "unknown_type": (nip(2).encode(), orjson.dumps(unknown)),
        "contract_violation": (nip(4).encode(), orjson.dumps(broken)),
        "undecodable": (nip(5).encode(), b"\x00\x01 this is not json"),
    }
    for key, value in poison.values():
        await publish(stack, key, value)
    # later events of the same employees, and of a bystander
    later: dict[int, list[uuid.UUID]] = {}
    for i in staff:
        _, first = history.activity(i, day, minutes=60)
        envelope = history.envelopes[-1]
        await publish(stack, *wire(envelope))
        await publish(stack, *wire(history.decision(i, boss, first, "revision_requested")))
        await publish(stack, *wire(history.decision(i, boss, first, "approved")))
        later[i] = [first]
    await publish(stack, *wire(history.decision(1, boss, newer_id, "approved")))
    envelope, bystander_id = history.activity(bystander, day)
    await publish(stack, *wire(envelope))

    # the consumer keeps going: the bystander's activity is applied
    async def bystander_applied() -> bool:
        return await status_of(engine, bystander_id) is not None

    await eventually(bystander_applied)

    async def all_consumed() -> bool:
        return sample(metrics, "erk_records_parked_total") >= 13

    await eventually(all_consumed)
    for i in staff:
        assert await status_of(engine, later[i][0]) is None, f"employee {i} was not held"

    # the dead-letter topic has each poison record, its reason and where it came from
    letters = await dlq_records(stack["dlq"], 4)
    assert len(letters) == 4
    by_code = {dict(r.headers)["code"].decode(): r for r in letters}
    assert set(by_code) == set(poison)
    for code, (key, value) in poison.items():
        record, headers = by_code[code], dict(by_code[code].headers)
        assert (record.key, record.value) == (key, value)
        assert headers["source_topic"].decode() == stack["topic"]
        assert int(headers["source_offset"]) >= 0 and headers["reason"]
        assert int(headers["dead_letter_id"]) > 0
    assert b"newer than this code" in dict(by_code["unknown_version"].headers)["reason"]
    assert b"ActivityTeleported" in dict(by_code["unknown_type"].headers)["reason"]
    assert b"minutes" in dict(by_code["contract_violation"].headers)["reason"]

    # metrics: dead letters by code, held keys, parked records, events applied
    for code in poison:
        assert sample(metrics, "erk_dead_letters_total", code=code) == 1

    async def backlog_seen() -> bool:
        held = sum(sample(metrics, "erk_held_keys", partition=str(p)) for p in range(3))
        parked = sum(sample(metrics, "erk_parked_records", partition=str(p)) for p in range(3))
        return held == 4 and parked == 13

    await eventually(backlog_seen, timeout=15)
    assert sample(metrics, "erk_events_applied_total") == 6 + 5 + PARTITIONS + 1

    # the operator lists them...
    listing = await cli("list", "--url", stack["url"])
    assert listing.exit_code == 0, listing.output
    for code in poison:
        assert code in listing.output
    async with engine.connect() as conn:
        ids = {row.code: row.id for row in await conn.execute(select(dead_letters))}

    # ... a retry with the old code changes nothing ...
    failed = await cli("retry", str(ids["unknown_version"]), "--url", stack["url"])
    assert failed.exit_code == 1 and "still undecodable" in failed.output
    # ... then version 2 is deployed with its upcaster, and the retry applies it in order
    monkeypatch.setattr(ActivityReported, "schema_version", 2)
    monkeypatch.setitem(UPCASTERS, ("ActivityReported", 1), lambda payload: payload)
    retried = await cli("retry", str(ids["unknown_version"]), "--url", stack["url"])
    assert retried.exit_code == 0, retried.output
    assert "4 parked record(s) applied" in retried.output
    newer_row = await status_of(engine, newer_id)
    assert newer_row is not None and newer_row["status"] == "approved"
    first_row = await status_of(engine, later[1][0])
    assert first_row is not None and first_row["status"] == "approved"  # revision, then approved
    again = await cli("retry", str(ids["unknown_version"]), "--url", stack["url"])
    assert again.exit_code == 0 and "already retried" in again.output

    # the others are skipped; their parked events follow, in order
    for code in ("unknown_type", "contract_violation", "undecodable"):
        skipped = await cli("skip", str(ids[code]), "--url", stack["url"])
        assert skipped.exit_code == 0, skipped.output
    for i in staff[1:]:
        row = await status_of(engine, later[i][0])
        assert row is not None and row["status"] == "approved"
    async with engine.connect() as conn:
        month = (await conn.execute(select(employee_months).where(
            employee_months.c.nip == nip(1)))).one()
    assert (month.approved_minutes, month.pending_minutes) == (60 + newer.payload["minutes"], 0)

    async def released() -> bool:
        held = sum(sample(metrics, "erk_held_keys", partition=str(p)) for p in range(3))
        parked = sum(sample(metrics, "erk_parked_records", partition=str(p)) for p in range(3))
        return held == 0 and parked == 0

    await eventually(released, timeout=15)
    empty = await cli("list", "--url", stack["url"])
    assert "no open dead letters" in empty.output
    assert not stack["task"].done()


async def test_lag_metrics(stack: dict[str, Any]) -> None:
    metrics: Metrics = stack["metrics"]
    history = History()
    await publish(stack, *wire(history.employee(1)))
    await publish(stack, *wire(history.policy()))

    async def caught_up() -> bool:
        lags = [metrics.registry.get_sample_value("erk_consumer_lag_positions",
                                                  {"partition": str(p)}) for p in range(3)]
        return sample(metrics, "erk_events_applied_total") == 4 and lags == [0.0] * 3

    await eventually(caught_up)
    for p in range(3):
        assert sample(metrics, "erk_consumer_lag_seconds", partition=str(p)) == 0.0
