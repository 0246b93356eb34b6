"""The simulator against a real intake (in process, fresh database, fresh Kafka topics):
in each mode, what it counts as accepted is exactly what the event store holds."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.intake.adapters.tables import events
from services.intake.bootstrap import build_app
from services.intake.settings import IntakeSettings
from services.simulator.adapters.intake_http import IntakeClient
from services.simulator.adapters.kafka_ingress import IngressProducer, end_offsets
from services.simulator.adapters.tokens import Tokens
from services.simulator.domain.org import Organisation, build_organisation
from services.simulator.domain.traffic import plan_days, plan_reviews, working_days
from services.simulator.service_layer import setup
from services.simulator.service_layer.driver import Driver, Stats, settle_ingress
from shared.kafka import consumer as kafka_consumer
from shared.policy import default_policy_path, load_policy
from shared.settings import KafkaSettings

pytestmark = pytest.mark.integration

KAFKA = KafkaSettings().access()


@pytest.fixture(scope="module")
def org() -> Organisation:
    return build_organisation(30, seed=7)


@pytest.fixture
async def intake(create_database: Callable[[str], Awaitable[str]], create_topic: Any,
                 monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[str, Any]]:
    ingress = await create_topic("ingress", 3)
    rejected = await create_topic("rejected", 1)
    monkeypatch.setenv("ERK_KAFKA_INGRESS_TOPIC", ingress)
    monkeypatch.setenv("ERK_KAFKA_REJECTED_TOPIC", rejected)
    monkeypatch.setenv("ERK_KAFKA_OUTCOMES_TOPIC", await create_topic("outcomes", 1))
    group = f"erk-test-ingress-{uuid.uuid4().hex[:8]}"
    settings = IntakeSettings(database_url=await create_database("intake"),
                              policy_file=default_policy_path(), ingress_group=group)
    app = build_app(settings, run_relay=False)
    async with app.router.lifespan_context(app):
        yield {"app": app, "ingress": ingress, "rejected": rejected, "group": group}


async def stored(app: FastAPI, event_type: str) -> int:
    async with app.state.intake.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(events)
                                     .where(events.c.event_type == event_type)))


def last_working_days(today: date, n: int) -> list[date]:
    return working_days(date.fromordinal(today.toordinal() - 14), today)[-n:]


async def test_each_mode_counts_what_the_store_holds(intake: dict[str, Any],
                                                     org: Organisation) -> None:
    app: FastAPI = intake["app"]
    transport = httpx.ASGITransport(app=app)
    async with IntakeClient("http://intake", Tokens(), 16, transport=transport) as client:
        await setup.import_roster(client, org, date(2025, 1, 1))
        assert await stored(app, "EmployeeRegistered") == 30
        # the same roster again is harmless: still accepted, nothing breaks
        await setup.import_roster(client, org, date(2025, 1, 1))

        today = app.state.intake.today()
        days = last_working_days(today, 3)  # a day each, so no day total exceeds the bound
        totals: dict[str, int] = {"reports": 0, "decisions": 0, "reviews": 0, "revisions": 0}

        def add(stats: Stats) -> None:
            assert not stats.rejected, stats.summary()
            for kind in totals:
                totals[kind] += stats.accepted.get(kind, 0)

        # single requests, ending with the month's 360 reviews
        indicators = [(i.name, i.structural_only)
                      for i in load_policy(default_policy_path()).indicators]
        plan = [*plan_days(org, days[:1], seed=1),
                *plan_reviews(org, f"{today:%Y-%m}", 1, indicators)]
        single = await Driver(org, client, "single", rate=0, concurrency=8).run(plan)
        add(single)
        assert single.accepted["reviews"] > 0 and single.accepted["decisions"] > 0
        assert single.accepted["revisions"] > 0

        # HTTP batches, capped at a few hundred events
        batch = await Driver(org, client, "batch", rate=0, batch_size=100).run(
            plan_days(org, days[1:2], seed=2), limit=300)
        add(batch)
        assert batch.sent == 300 and batch.latencies["batch"]

        # the Kafka ingress for e-service activities
        since = await end_offsets(KAFKA, intake["rejected"])
        async with IngressProducer(KAFKA, intake["ingress"]) as producer:
            driver = Driver(org, client, "kafka", rate=2000, producer=producer)
            kafka = await driver.run(plan_days(org, days[2:3], seed=3), limit=400)
        assert await settle_ingress(kafka, producer.produced, KAFKA, intake["ingress"],
                                    intake["rejected"], intake["group"], since, wait_s=60)
        assert kafka.channels["esamsat"] > 0 and kafka.latencies["kafka_produce"]
        add(kafka)

    assert await stored(app, "ActivityReported") == totals["reports"]
    assert await stored(app, "ReviewSubmitted") == totals["decisions"] + totals["reviews"]
    assert await stored(app, "ActivityRevised") == totals["revisions"]
    assert totals["reports"] > 300


async def test_a_month_needs_and_gets_a_backdating_policy() -> None:
    base = load_policy(default_policy_path())
    today = date(2026, 11, 28)
    policy = setup.backdating_policy(base, "2026-11", date(2026, 11, 2), today)
    assert policy is not None and policy.backdating_days >= 26
    assert policy.effective_from == "2026-11" and policy.version.startswith("sim-2026-11")
    assert setup.backdating_policy(base, "2026-11", date(2026, 11, 25), today) is None


async def read_all(topic: str, expected: int) -> list[Any]:
    consumer = kafka_consumer(KAFKA)
    await consumer.start()
    try:
        consumer.subscribe([topic])
        records: list[Any] = []
        while len(records) < expected:
            batches = await asyncio.wait_for(consumer.getmany(timeout_ms=500), 30)
            records += [r for batch in batches.values() for r in batch]
        return records
    finally:
        await consumer.stop()


async def test_the_ingress_producer_keeps_each_employees_order_and_ships_a_lone_record(
        create_topic: Any) -> None:
    topic = await create_topic("ingress", 3)
    nips = [f"19800101200001100{i}" for i in range(3)]
    bodies = [{"activity_id": str(uuid.uuid4()), "nip": nips[i % 3], "minutes": 1,
               "description": "x" * 200} for i in range(5_000)]  # several batches a partition
    async with IngressProducer(KAFKA, topic) as producer:
        for body in bodies:
            await producer.send(body, "token")
        await producer.flush()
        assert not producer.failed and sum(map(len, producer.produced.values())) == 5_000
        # a lone record leaves within the linger time, with no flush to push it
        await producer.send({**bodies[0], "activity_id": "lone"}, "token")
        for _ in range(100):
            if sum(map(len, producer.produced.values())) == 5_001:
                break
            await asyncio.sleep(0.05)
        assert sum(map(len, producer.produced.values())) == 5_001
    records = await read_all(topic, 5_001)
    assert len({r.key for r in records}) == 3  # one opaque key per employee, never the NIP
    assert all(r.key.decode() not in nips and r.headers == (("authorization", b"Bearer token"),)
               for r in records)
    by_key: dict[bytes, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(record.key, []).append(orjson.loads(record.value)["activity_id"])
    sent = {nip: [b["activity_id"] for b in bodies if b["nip"] == nip] for nip in nips}
    assert sorted(by_key.values()) == sorted([*ids, "lone"] if nip == nips[0] else ids
                                             for nip, ids in sent.items())
