"""What an e-service learns from the ingress, over the real Kafka and PostgreSQL: one outcome
per record on the outcome topic (accepted with id and position, duplicate naming the id
kept, rejected with the code HTTP gives), exactly once even when answering fails after
the store committed."""

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiokafka.admin import NewTopic
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import select

from services.intake.adapters.ingress_answers import IngressAnswers
from services.intake.adapters.tables import events
from services.intake.bootstrap import build_app
from services.intake.domain.commands import RegisterEmployee, ReportActivity
from services.intake.settings import IntakeSettings
from shared.auth import Principal
from shared.ingress import Answer, IngressOutcome
from shared.kafka import admin as kafka_admin
from shared.kafka import raw_consumer, raw_producer
from shared.policy import default_policy_path
from tests.e2e.support import KAFKA
from tests.integration.test_ingress import token
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

STAFF = "199001012015032001"
NOBODY = "198001012005011001"
Send = Callable[..., Awaitable[int]]
TODAY = ""  # set from intake's clock when intake starts


@contextlib.asynccontextmanager
async def fresh_topics() -> AsyncIterator[dict[str, str]]:
    admin = kafka_admin(KAFKA)
    await admin.start()
    run = uuid.uuid4().hex[:10]
    names = {kind: f"erk.test.{kind}.{run}" for kind in ("ingress", "rejected", "outcomes")}
    await admin.create_topics([NewTopic(name, 1, 1) for name in names.values()])
    try:
        yield names
    finally:
        await admin.delete_topics(list(names.values()))
        await admin.close()


@contextlib.asynccontextmanager
async def serving(url: str, topics: dict[str, str]) -> AsyncIterator[FastAPI]:
    """Intake with its ingress on ``topics`` (no relay), with one employee on its roster."""
    settings = IntakeSettings(database_url=url, policy_file=default_policy_path(),
                              ingress_group=f"erk-test-outcomes-{uuid.uuid4().hex[:8]}")
    with pytest.MonkeyPatch.context() as patch:  # KafkaSettings are read when the app is built
        for kind, name in topics.items():
            patch.setenv(f"ERK_KAFKA_{kind.upper()}_TOPIC", name)
        patch.setenv("ERK_KAFKA_BOOTSTRAP", KAFKA.bootstrap)
        app = build_app(settings, run_relay=False, run_ingress=True)
    async with app.router.lifespan_context(app):
        global TODAY
        TODAY = app.state.intake.today().isoformat()
        (registered,) = await app.state.intake.execute(Principal("admin", "admin"), [
            RegisterEmployee(nip=STAFF, name="Siti Aminah", unit="SAMSAT-01",
                             position="Petugas Loket")])
        assert isinstance(registered, dict), registered
        yield app


@pytest.fixture(scope="module")
async def topics() -> AsyncIterator[dict[str, str]]:
    async with fresh_topics() as names:
        yield names


@pytest.fixture(scope="module")
async def app(create_database: Callable[[str], Awaitable[str]],
              topics: dict[str, str]) -> AsyncIterator[FastAPI]:
    async with serving(await create_database("intake"), topics) as app:
        yield app


@pytest.fixture
async def send(topics: dict[str, str]) -> AsyncIterator[Send]:
    async with sender(topics) as send:
        yield send


@contextlib.asynccontextmanager
async def sender(topics: dict[str, str]) -> AsyncIterator[Send]:
    producer = raw_producer(KAFKA, acks="all")
    await producer.start()

    async def send(value: bytes, bearer: str | None, key: bytes = STAFF.encode(),
                   correlation: str | None = None) -> int:
        headers = [("authorization", f"Bearer {bearer}".encode())] if bearer else []
        if correlation is not None:
            headers.append(("correlation_id", correlation.encode()))
        sent = await producer.send_and_wait(topics["ingress"], value, key=key, headers=headers)
        return int(sent.offset)

    try:
        yield send
    finally:
        await producer.stop()


async def outcomes(topic: str, committed: bool = True) -> dict[int, list[Any]]:
    """Every record on the outcome topic by the ingress offset it answers."""
    consumer = raw_consumer(KAFKA, topic, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None,
                                isolation_level="read_committed" if committed
                                else "read_uncommitted")
    await consumer.start()
    found: dict[int, list[Any]] = {}
    try:
        while batch := await consumer.getmany(timeout_ms=700):
            for record in (r for rs in batch.values() for r in rs):
                offset = IngressOutcome.model_validate_json(record.value).source_offset
                found.setdefault(offset, []).append(record)
    finally:
        await consumer.stop()
    return found


async def answer_to(topic: str, offset: int) -> Any:
    async def answered() -> Any:
        return (await outcomes(topic)).get(offset)
    (record,) = await eventually(answered, timeout=30, what=f"outcome of offset {offset}")
    return record




def report(**changes: Any) -> dict[str, Any]:
    return {"activity_id": str(uuid.uuid4()), "nip": STAFF, "work_date": TODAY,
            "minutes": 45, "description": "Pengesahan STNK",
            "external_ref": f"TX-{uuid.uuid4().hex[:8]}", **changes}


async def position_of(app: FastAPI, activity_id: str) -> int:
    async with app.state.intake.engine.connect() as conn:
        rows = (await conn.execute(select(events.c.position, events.c.payload)
                                   .where(events.c.event_type == "ActivityReported"))).all()
    (position,) = [p for p, payload in rows if payload["activity_id"] == activity_id]
    return int(position)


async def test_accepted_then_duplicate(app: FastAPI, topics: dict[str, str],
                                       send: Send) -> None:
    e_service = token("esamsat-a", "eservice")
    first = report()
    offset = await send(json.dumps(first).encode(), e_service, correlation="req-1")
    record = await answer_to(topics["outcomes"], offset)
    position = await position_of(app, first["activity_id"])
    assert record.key == STAFF.encode()
    assert dict(record.headers) == {"status": b"accepted", "correlation_id": b"req-1"}
    accepted = IngressOutcome.model_validate_json(record.value)
    assert (accepted.status, str(accepted.activity_id), str(accepted.kept_activity_id),
            accepted.position, accepted.correlation_id, accepted.code) == (
        "accepted", first["activity_id"], first["activity_id"], position, "req-1", None)

    # the same (source, external_ref) under a new activity id: the first one is kept
    again = {**first, "activity_id": str(uuid.uuid4())}
    record = await answer_to(topics["outcomes"],
                             await send(json.dumps(again).encode(), e_service, key=b"k2"))
    duplicate = IngressOutcome.model_validate_json(record.value)
    assert record.key == b"k2"
    assert (duplicate.status, str(duplicate.activity_id), str(duplicate.kept_activity_id),
            duplicate.position, duplicate.event_id) == (
        "duplicate", again["activity_id"], first["activity_id"], position, accepted.event_id)


def readable_id(value: bytes) -> uuid.UUID | None:
    try:
        return ReportActivity.model_validate_json(value).activity_id
    except ValidationError:
        return None


async def test_refusals_match_http(app: FastAPI, topics: dict[str, str], send: Send) -> None:
    e_service = token("esamsat-a", "eservice")
    cases: list[tuple[bytes, str | None]] = [
        (json.dumps(report()).encode(), None),
        (json.dumps(report()).encode(), "garbage"),
        (json.dumps(report()).encode(), token("esamsat-a", "eservice", secret="z" * 40)),
        (json.dumps(report()).encode(), token("audit", "auditor")),
        (json.dumps(report()).encode(), token("admin", "admin")),
        (b'{"activity_id": "not json', e_service),
        (json.dumps(report(source="esamsat-b")).encode(), e_service),
        (json.dumps(report(minutes="45")).encode(), e_service),
        (json.dumps(report(minutes=600)).encode(), e_service),
        (json.dumps(report(nip=NOBODY)).encode(), e_service),
        (json.dumps(report(work_date="2099-01-01")).encode(), e_service),
    ]
    transport = httpx.ASGITransport(app=app)
    over_http = []
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        for value, bearer in cases:
            headers = {"Content-Type": "application/json"}
            if bearer:
                headers["Authorization"] = f"Bearer {bearer}"
            response = await client.post("/v1/activities", content=value, headers=headers)
            over_http.append((response.json()["error"]["code"], response.status_code))
    offsets = [await send(value, bearer) for value, bearer in cases]
    answered = [IngressOutcome.model_validate_json(
        (await answer_to(topics["outcomes"], offset)).value) for offset in offsets]
    assert [(a.status, a.code, a.http_status) for a in answered] == [
        ("rejected", code, status) for code, status in over_http]
    assert {code for code, _ in over_http} >= {
        "unauthenticated", "invalid_token", "role_not_allowed", "malformed_json",
        "unknown_field", "invalid_request", "minutes_out_of_bounds", "unknown_employee",
        "work_date_in_future"}
    assert answered[1].message == "malformed token"  # our sentence, no library's
    # a refused record is named by its activity id whenever its body is a valid report
    assert [a.activity_id for a in answered] == [readable_id(value) for value, _ in cases]
    assert sum(a.activity_id is not None for a in answered) == 8

    # an employee's valid token may report over HTTP, never through the e-services' door
    employee = await answer_to(topics["outcomes"], await send(
        json.dumps(report()).encode(),
        token(STAFF, "employee")))
    assert (IngressOutcome.model_validate_json(employee.value).code,
            IngressOutcome.model_validate_json(employee.value).http_status) == (
        "role_not_allowed", 403)


async def test_answered_once_when_answering_fails_after_the_store_committed(
        create_database: Callable[[str], Awaitable[str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    publish = IngressAnswers.publish
    failed: list[int] = []

    async def fail_once(self: IngressAnswers, answers: list[Answer]) -> None:
        if failed:
            return await publish(self, answers)
        failed.append(len(answers))
        producer = self._producer
        assert producer is not None
        async with producer.transaction():  # the outcomes are written, then the process "dies"
            for answer in answers:
                await producer.send(topics["outcomes"], answer.outcome.model_dump_json()
                                    .encode(), key=answer.record.key)
            raise RuntimeError("answering failed after the store committed")

    monkeypatch.setattr(IngressAnswers, "publish", fail_once)
    async with fresh_topics() as topics, \
            serving(await create_database("intake"), topics) as app:
        await answered_once(app, topics, failed)


async def answered_once(app: FastAPI, topics: dict[str, str], failed: list[int]) -> None:
    bodies = [report(minutes=5) for _ in range(3)]
    async with sender(topics) as send:
        offsets = [await send(json.dumps(body).encode(), token("esamsat-a", "eservice"))
                   for body in bodies]
    for offset in offsets:
        await answer_to(topics["outcomes"], offset)
    assert failed
    committed = await outcomes(topics["outcomes"])
    assert [len(committed[offset]) for offset in offsets] == [1, 1, 1]
    assert [IngressOutcome.model_validate_json(committed[o][0].value).status
            for o in offsets] == ["accepted"] * 3
    # the aborted attempt's records are in the log, hidden from read_committed readers
    written = await outcomes(topics["outcomes"], committed=False)
    assert sum(len(written[offset]) for offset in offsets) > 3
    for body in bodies:
        await position_of(app, body["activity_id"])  # stored once each
