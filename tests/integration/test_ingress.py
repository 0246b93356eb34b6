"""The e-service Kafka ingress over the real Kafka, with intake in-process (no relay).

Every record goes to one partition of a fresh ingress topic, in order, ending with a valid
sentinel: once the sentinel is stored, every earlier record has been decided.
"""

import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiokafka.admin import NewTopic
from fastapi import FastAPI
from sqlalchemy import func, select

from services.intake.adapters.tables import events
from services.intake.bootstrap import build_app
from services.intake.domain.commands import RegisterEmployee
from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role, issue_token
from shared.kafka import admin as kafka_admin
from shared.kafka import raw_consumer, raw_producer
from shared.policy import default_policy_path
from shared.settings import AuthSettings
from tests.e2e.support import KAFKA, eventually

pytestmark = pytest.mark.integration

STAFF = "199001012015032001"
NOBODY = "198001012005011001"


def token(subject: str, role: Role, secret: str | None = None,
          ttl: timedelta = timedelta(minutes=10)) -> str:
    settings = AuthSettings() if secret is None else AuthSettings(secret=secret)  # type: ignore[call-arg]
    return issue_token(settings, Principal(subject, role), ttl)


@pytest.fixture(scope="module")
async def topics() -> AsyncIterator[dict[str, str]]:
    admin = kafka_admin(KAFKA)
    await admin.start()
    run = uuid.uuid4().hex[:10]
    names = {"ingress": f"erk.test.ingress.{run}", "rejected": f"erk.test.rejected.{run}",
             "outcomes": f"erk.test.outcomes.{run}"}
    await admin.create_topics([NewTopic(name, 1, 1) for name in names.values()])
    try:
        yield names
    finally:
        await admin.delete_topics(list(names.values()))
        await admin.close()


@pytest.fixture(scope="module")
async def app(create_database: Callable[[str], Awaitable[str]],
              topics: dict[str, str]) -> AsyncIterator[FastAPI]:
    url = await create_database("intake")
    settings = IntakeSettings(database_url=url, policy_file=default_policy_path(),
                              ingress_group=f"erk-test-ingress-{uuid.uuid4().hex[:8]}")
    with pytest.MonkeyPatch.context() as patch:  # KafkaSettings are read when the app is built
        patch.setenv("ERK_KAFKA_INGRESS_TOPIC", topics["ingress"])
        patch.setenv("ERK_KAFKA_REJECTED_TOPIC", topics["rejected"])
        patch.setenv("ERK_KAFKA_OUTCOMES_TOPIC", topics["outcomes"])
        patch.setenv("ERK_KAFKA_BOOTSTRAP", KAFKA.bootstrap)
        app = build_app(settings, run_relay=False, run_ingress=True)
    async with app.router.lifespan_context(app):
        (registered,) = await app.state.intake.execute(Principal("admin", "admin"), [
            RegisterEmployee(nip=STAFF, name="Siti Aminah", unit="SAMSAT-01",
                             position="Petugas Loket")])
        assert isinstance(registered, dict), registered
        yield app


async def stored_activities(app: FastAPI) -> list[Any]:
    async with app.state.intake.engine.connect() as conn:
        rows = await conn.execute(select(events.c.source, events.c.payload)
                                  .where(events.c.event_type == "ActivityReported")
                                  .order_by(events.c.position))
        return list(rows)


async def count_events(app: FastAPI) -> int:
    async with app.state.intake.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(events)))


async def test_ingress_stores_once_and_rejects_the_rest(app: FastAPI,
                                                        topics: dict[str, str]) -> None:
    today = app.state.intake.today().isoformat()
    a_token = token("esamsat-a", "eservice")
    b_token = token("esamsat-b", "eservice")

    def body(**changes: Any) -> dict[str, Any]:
        return {"activity_id": str(uuid.uuid4()), "nip": STAFF, "work_date": today,
                "minutes": 45, "description": "Pengesahan STNK", "external_ref": "TX-1",
                **changes}

    first = body()
    sentinel = body(external_ref="TX-LAST", minutes=5)
    # (value, authorization header or None, expected rejection code or None)
    plan: list[tuple[bytes, str | None, str | None]] = [
        (json.dumps(first).encode(), a_token, None),
        (json.dumps(first).encode(), a_token, None),  # the same record again
        # a retry with a fresh activity_id but the same (source, external_ref)
        (json.dumps({**first, "activity_id": str(uuid.uuid4())}).encode(), a_token, None),
        # another e-service may use the same external ref: its own source, its own activity
        (json.dumps(body()).encode(), b_token, None),
        (json.dumps(body(external_ref="TX-2")).encode(), None, "unauthenticated"),
        # a valid token of another role: refused as HTTP refuses a role (403), not as unknown
        (json.dumps(body(external_ref="TX-3")).encode(), token(STAFF, "employee"),
         "role_not_allowed"),
        (json.dumps(body(external_ref="TX-4")).encode(),
         token("esamsat-a", "eservice", secret="another-secret-" + "y" * 40), "invalid_token"),
        (json.dumps(body(external_ref="TX-12")).encode(), "garbage", "invalid_token"),
        (b'{"activity_id": "not json', a_token, "malformed_json"),
        # the source comes from the token, never from the body
        (json.dumps(body(external_ref="TX-5", source="esamsat-b")).encode(), a_token,
         "unknown_field"),
        # strict types, as over HTTP: no string or boolean minutes, no number for a date
        (json.dumps(body(external_ref="TX-8", minutes="45")).encode(), a_token,
         "invalid_request"),
        (json.dumps(body(external_ref="TX-9", minutes=True)).encode(), a_token,
         "invalid_request"),
        (json.dumps(body(external_ref="TX-10", work_date=1764547200)).encode(), a_token,
         "invalid_request"),
        (json.dumps([body(external_ref="TX-11")]).encode(), a_token, "invalid_request"),
        (json.dumps(body(external_ref="TX-6", minutes=600)).encode(), a_token,
         "minutes_out_of_bounds"),
        (json.dumps(body(external_ref="TX-7", nip=NOBODY)).encode(), a_token,
         "unknown_employee"),
        # the same activity_id for a different activity is no retry
        (json.dumps({**first, "minutes": 30}).encode(), a_token, "duplicate_activity"),
        (json.dumps(sentinel).encode(), a_token, None),
    ]
    plan_ids = [json.loads(value).get("activity_id") if value.endswith(b"}") else None
                for value, _, _ in plan]
    events_before = await count_events(app)
    expected: dict[int, str] = {}
    producer = raw_producer(KAFKA, acks="all")
    await producer.start()
    try:
        for value, bearer, code in plan:
            headers = [("authorization", f"Bearer {bearer}".encode())] if bearer else []
            sent = await producer.send_and_wait(topics["ingress"], value, key=STAFF.encode(),
                                                headers=headers)
            if code is not None:
                expected[sent.offset] = code
    finally:
        await producer.stop()

    async def sentinel_stored() -> None:
        stored = await stored_activities(app)
        assert any(r.payload["activity_id"] == sentinel["activity_id"] for r in stored), stored

    await eventually(sentinel_stored, within=30)
    # refusals are published after the whole batch ran, so once they are all there,
    # every record has been decided
    rejected = await read_all(topics["rejected"], len(expected))
    got = {}
    for record in rejected:
        headers = {k: v.decode() for k, v in record.headers}
        assert set(headers) >= {"code", "status", "reason", "source_partition",
                                "source_offset"}
        assert headers["source_topic"] == topics["ingress"]
        assert headers["source_partition"] == "0"
        assert headers["reason"]
        got[int(headers["source_offset"])] = headers["code"]
    assert got == expected

    # stored once each: the first activity, the other e-service's, the sentinel; the source
    # (in the envelope and the payload) is the token's e-service
    stored = {(r.source, r.payload["source"], r.payload["external_ref"], r.payload["activity_id"])
              for r in await stored_activities(app)}
    assert stored == {("esamsat-a", "esamsat-a", "TX-1", first["activity_id"]),
                      ("esamsat-b", "esamsat-b", "TX-1", plan_ids[3]),
                      ("esamsat-a", "esamsat-a", "TX-LAST", sentinel["activity_id"])}
    assert await count_events(app) == events_before + 3  # nothing else was stored


async def read_all(topic: str, count: int, within_ms: int = 15000) -> list[Any]:
    """Read ``count`` records from the start of a topic, failing after ``within_ms``."""
    consumer = raw_consumer(KAFKA, topic, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + within_ms / 1000
        while len(records) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            records += [r for rs in batch.values() for r in rs]
        # and nothing more arrives shortly after
        records += [r for rs in (await consumer.getmany(timeout_ms=500)).values() for r in rs]
    finally:
        await consumer.stop()
    assert len(records) == count, [(r.offset, r.headers) for r in records]
    return records
