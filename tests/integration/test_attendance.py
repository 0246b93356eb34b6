"""Attendance over the real Kafka and PostgreSQL: records over HTTP (one and a batch) and
over the ingress topic, idempotent on the device record id, bad records refused with a
reason (and copied to the rejection topic), an absence justified and approved by the unit
head, and the month read back from appraisal's API with figures computed by hand.

Intake runs on a fixed clock: 20 July 2026, 09:00 in Jakarta."""

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import NewTopic
from fastapi import FastAPI

from services.appraisal.bootstrap import build_app as build_appraisal
from services.appraisal.domain.records import Record
from services.appraisal.service_layer.batches import apply_records
from services.appraisal.settings import AppraisalSettings
from services.intake.adapters import event_store
from services.intake.bootstrap import build_app
from services.intake.domain.commands import ChangeReportingLine, RegisterEmployee
from services.intake.settings import IntakeSettings
from shared.auth import Principal
from shared.clock import FixedClock
from shared.db import make_engine
from shared.ingress import IngressOutcome
from shared.kafka import admin as kafka_admin
from shared.kafka import raw_consumer, raw_producer
from shared.policy import default_policy_path
from tests.e2e.support import KAFKA
from tests.integration.test_ingress import token
from tests.support.history import wire
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

HEAD, STAFF, OTHER = "196804111993031009", "199001012015032001", "198505052010011002"
CLOCK = FixedClock(datetime(2026, 7, 20, 9, tzinfo=ZoneInfo("Asia/Jakarta")))
# minted at import: it must outlive the suite's run up to this module (10 minutes did not)
FEED = token("e-presensi", "eservice", ttl=timedelta(hours=12))
KINDS = ("ingress", "attendance", "rejected", "outcomes")


@pytest.fixture(scope="module")
async def topics() -> AsyncIterator[dict[str, str]]:
    admin = kafka_admin(KAFKA)
    await admin.start()
    run = uuid.uuid4().hex[:10]
    names = {kind: f"erk.test.att.{kind}.{run}" for kind in KINDS}
    await admin.create_topics([NewTopic(name, 1, 1) for name in names.values()])
    try:
        yield names
    finally:
        await admin.delete_topics(list(names.values()))
        await admin.close()


@pytest.fixture(scope="module")
async def app(create_database: Callable[[str], Awaitable[str]],
              topics: dict[str, str]) -> AsyncIterator[FastAPI]:
    settings = IntakeSettings(database_url=await create_database("intake"),
                              policy_file=default_policy_path(),
                              ingress_group=f"erk-test-att-{uuid.uuid4().hex[:8]}")
    with pytest.MonkeyPatch.context() as patch:  # KafkaSettings are read when the app is built
        for kind, name in topics.items():
            patch.setenv(f"ERK_KAFKA_{kind.upper()}_TOPIC", name)
        patch.setenv("ERK_KAFKA_BOOTSTRAP", KAFKA.bootstrap)
        app = build_app(settings, run_relay=False, run_ingress=True, clock=CLOCK)
    async with app.router.lifespan_context(app):
        admin = Principal("admin", "admin")
        roster = [RegisterEmployee(nip=n, name="Pegawai", unit="BKPSDM", position="Staf",
                                   structural=n == HEAD) for n in (HEAD, STAFF, OTHER)]
        lines = [ChangeReportingLine(nip=n, superior_nip=HEAD, effective_from=date(2026, 1, 1))
                 for n in (STAFF, OTHER)]
        for answer in await app.state.intake.execute(admin, [*roster, *lines]):
            assert isinstance(answer, dict), answer
        yield app


@pytest.fixture
async def intake(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as client:
        yield client


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def record(**changes: Any) -> dict[str, Any]:
    return {"device_record_id": f"FP-{uuid.uuid4().hex[:8]}", "nip": OTHER,
            "day": "2026-07-17", "kind": "check_in", "time": "07:35", **changes}


async def test_a_record_over_http_once_then_duplicate(intake: httpx.AsyncClient) -> None:
    body = record()
    first = await intake.post("/v1/attendance", json=body, headers=bearer(FEED))
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "accepted"
    again = await intake.post("/v1/attendance", json=body, headers=bearer(FEED))
    assert (again.status_code, again.json()) == (201, {**first.json(), "status": "duplicate"})
    changed = await intake.post("/v1/attendance", json={**body, "time": "07:36"},
                                headers=bearer(FEED))
    assert (changed.status_code, changed.json()["error"]["code"]) == (
        409, "device_record_conflict")
    employee = await intake.post("/v1/attendance", json=record(),
                                 headers=bearer(token(OTHER, "employee")))
    assert (employee.status_code, employee.json()["error"]["code"]) == (403, "role_not_allowed")


@pytest.mark.parametrize(("changes", "status", "code", "field"), [
    ({"time": 735}, 422, "invalid_request", "time"),
    ({"time": "7:35"}, 422, "invalid_request", "time"),
    ({"day": 20260717}, 422, "invalid_request", "day"),
    ({"kind": "lunch"}, 422, "invalid_request", "kind"),
    ({"reader": "gate-2"}, 422, "unknown_field", "reader"),
    ({"time": None}, 422, "time_required", "time"),
    ({"day": "2026-07-21"}, 422, "day_in_future", "day"),
])
async def test_bad_records_over_http(intake: httpx.AsyncClient, changes: dict[str, Any],
                                     status: int, code: str, field: str) -> None:
    response = await intake.post("/v1/attendance", json=record(**changes),
                                 headers=bearer(FEED))
    assert response.status_code == status, response.text
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
        code, field)


async def test_a_batch_answers_each_record_in_order(intake: httpx.AsyncClient) -> None:
    check_in = record(day="2026-07-10", time="07:30")
    items = [check_in, record(day="2026-07-10", kind="check_out", time="07:00"),
             record(day="2026-07-10", kind="check_out", time="16:05"), check_in]
    response = await intake.post("/v1/attendance/batch", json=items, headers=bearer(FEED))
    assert response.status_code == 200, response.text
    assert [(i["index"], i["status"], i["code"]) for i in response.json()] == [
        (0, "accepted", None), (1, "rejected", "check_out_before_check_in"),
        (2, "accepted", None), (3, "duplicate", None)]


@contextlib.asynccontextmanager
async def consumed(topic: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = raw_consumer(KAFKA, topic, auto_offset_reset="earliest",
                            enable_auto_commit=False, group_id=None,
                            isolation_level="read_committed")
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def read_all(topic: str) -> list[Any]:
    async with consumed(topic) as consumer:
        found: list[Any] = []
        while batch := await consumer.getmany(timeout_ms=700):
            found.extend(r for rs in batch.values() for r in rs)
        return found


async def test_records_over_the_ingress(app: FastAPI, topics: dict[str, str]) -> None:
    producer = raw_producer(KAFKA, acks="all")
    await producer.start()
    check_in = record(day="2026-07-13", time="07:50")
    sent = [(check_in, FEED), (check_in, FEED),
            (record(day="2026-07-13", kind="check_out", time="07:10"), FEED),
            ({**record(), "time": 735}, FEED),
            (record(), token(OTHER, "employee")),
            (record(), token("esamsat", "eservice"))]
    offsets = []
    try:
        for body, bearer_token in sent:
            meta = await producer.send_and_wait(
                topics["attendance"], json.dumps(body).encode(), key=OTHER.encode(),
                headers=[("authorization", f"Bearer {bearer_token}".encode())])
            offsets.append(meta.offset)
    finally:
        await producer.stop()

    async def answered() -> dict[int, IngressOutcome] | None:
        found = {o.source_offset: o for o in (IngressOutcome.model_validate_json(r.value)
                                              for r in await read_all(topics["outcomes"]))
                 if o.source_topic == topics["attendance"]}
        return found if set(offsets) <= set(found) else None
    outcomes = await eventually(answered, timeout=30, what="every attendance record answered")
    got = [outcomes[offset] for offset in offsets]
    assert [(o.status, o.code, o.device_record_id) for o in got] == [
        ("accepted", None, check_in["device_record_id"]),
        ("duplicate", None, check_in["device_record_id"]),
        ("rejected", "check_out_before_check_in", sent[2][0]["device_record_id"]),
        ("rejected", "invalid_request", None),  # no readable record: no id to name
        ("rejected", "role_not_allowed", sent[4][0]["device_record_id"]),
        ("accepted", None, sent[5][0]["device_record_id"])]  # any e-service may be a source
    assert got[0].position is not None and got[0].position >= 1
    assert (got[1].event_id, got[1].position) == (got[0].event_id, got[0].position)
    assert got[3].http_status == 422 and "time" in (got[3].message or "")
    rejected = [r for r in await read_all(topics["rejected"])
                if dict(r.headers)["source_topic"] == topics["attendance"].encode()]
    assert [dict(r.headers)["code"] for r in rejected] == [
        b"check_out_before_check_in", b"invalid_request", b"role_not_allowed"]
    assert rejected[0].value == json.dumps(sent[2][0]).encode()  # the bytes as sent
    assert b"before the day's check-in 07:50" in dict(rejected[0].headers)["reason"]


async def test_a_justified_month_read_back_from_appraisal(
        app: FastAPI, intake: httpx.AsyncClient,
        create_database: Callable[[str], Awaitable[str]]) -> None:
    # STAFF, July through the 16th: 12 working days. 14th 11 min late (0.5), 15th away,
    # justified and approved, 16th left 40 min early (1.0); the other 9 days absent (27):
    # 100 - 0.5 - 1 - 27 = 71.50
    punches = [("2026-07-14", "check_in", "07:41"), ("2026-07-14", "check_out", "16:00"),
               ("2026-07-16", "check_in", "07:30"), ("2026-07-16", "check_out", "15:20")]
    for day, kind, time in punches:
        response = await intake.post("/v1/attendance", headers=bearer(FEED), json=record(
            nip=STAFF, day=day, kind=kind, time=time))
        assert response.status_code == 201, response.text
    justification = {"justification_id": str(uuid.uuid4()), "nip": STAFF,
                     "first_day": "2026-07-15", "last_day": "2026-07-15", "reason": "sick",
                     "evidence_ref": "SKD-0715/PKM"}
    submitted = await intake.post("/v1/absence-justifications", json=justification,
                                  headers=bearer(token(STAFF, "employee")))
    assert (submitted.status_code, submitted.json()["status"]) == (201, "pending")
    decision = f"/v1/absence-justifications/{justification['justification_id']}/decision"
    by_peer = await intake.post(decision, json={"decision": "approved"},
                                headers=bearer(token(OTHER, "superior")))
    assert (by_peer.status_code, by_peer.json()["error"]["code"]) == (
        403, "not_direct_superior")
    approved = await intake.post(decision, json={"decision": "approved"},
                                 headers=bearer(token(HEAD, "superior")))
    assert (approved.status_code, approved.json()["status"]) == (201, "approved")

    async with appraisal_of(app, await create_database("appraisal")) as client:
        month = await client.get(f"/v1/employees/{STAFF}/discipline/2026-07",
                                 headers=bearer(token(STAFF, "employee")))
        assert month.status_code == 200, month.text
        row = month.json()
        assert {k: row[k] for k in ("days_expected", "days_present", "late_minutes",
                                    "late_days_by_tier", "left_early_minutes",
                                    "left_early_days_by_tier", "absent_justified",
                                    "absent_unjustified", "percentage", "state",
                                    "counted_through")} == {
            "days_expected": 12, "days_present": 2, "late_minutes": 11,
            "late_days_by_tier": [1, 0, 0, 0], "left_early_minutes": 40,
            "left_early_days_by_tier": [0, 1, 0, 0], "absent_justified": 1,
            "absent_unjustified": 9, "percentage": 71.5, "state": "provisional",
            "counted_through": "2026-07-16"}
        assert "away on 2026-07-15 (sick, justification approved): no deduction" in (
            row["reasons"])
        assert [(j["status"], j["decided_by"]) for j in row["justifications"]] == [
            ("approved", HEAD)]
        for who, status in ((token(HEAD, "superior"), 200), (token("admin", "admin"), 200),
                            (token(OTHER, "superior"), 403), (FEED, 403)):
            response = await client.get(f"/v1/employees/{STAFF}/discipline/2026-07",
                                        headers=bearer(who))
            assert response.status_code == status, response.text
        unit = await client.get("/v1/units/BKPSDM/discipline/2026-07",
                                headers=bearer(token("admin", "admin")))
        assert unit.status_code == 200
        assert {i["nip"]: i["percentage"] for i in unit.json()["items"]}[STAFF] == 71.5
        missing = await client.get(f"/v1/employees/{HEAD}/discipline/2026-07",
                                   headers=bearer(token(HEAD, "superior")))
        assert missing.status_code == 404


@contextlib.asynccontextmanager
async def appraisal_of(app: FastAPI, url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Appraisal's read API over the intake store's events, applied as the consumer does."""
    async with app.state.intake.engine.connect() as conn:
        stored = await event_store.read_after(conn, 0, 10_000)
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await apply_records(conn, [Record("events", 0, offset, value, key) for offset,
                                       (key, value) in enumerate(wire(e) for e in stored)])
        appraisal = build_appraisal(AppraisalSettings(database_url=url), consume=False,
                                    clock=CLOCK)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=appraisal),
                                     base_url="http://appraisal") as client:
            yield client
    finally:
        await engine.dispose()
