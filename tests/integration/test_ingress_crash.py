"""The ingress answers every record exactly once when intake is killed (SIGKILL) while
records stream in: intake as a real process on the real Kafka and PostgreSQL."""

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition
from sqlalchemy import select

from services.intake.adapters.tables import events as store_events
from shared.ingress import IngressOutcome
from shared.kafka import raw_consumer, raw_producer
from tests.integration.test_crash_recovery import (
    KAFKA,
    STAFF,
    WORK_DATE,
    Service,
    bearer,
    intake_stack,
    wait_healthy,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
__all__ = ["intake_stack"]  # the fixture, shared with the crash-recovery tests

RECORDS = 1200  # 150 one-minute activities for each of 8 employees: well inside a day


async def committed_outcomes(topic: str) -> list[IngressOutcome]:
    """The outcomes committed so far (up to the topic's last stable offset)."""
    consumer = raw_consumer(KAFKA, group_id=None,
                                enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    found: list[IngressOutcome] = []
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        while await consumer.position(partition) < end:
            batch = await consumer.getmany(partition, timeout_ms=1000)
            found += [IngressOutcome.model_validate_json(r.value)
                      for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    return found


async def test_a_killed_intake_answers_every_record_once(
        intake_stack: dict[str, Any]) -> None:
    service: Service = intake_stack["service"]
    service.start()
    async with httpx.AsyncClient(base_url=intake_stack["base"], timeout=10) as client:
        await wait_healthy(client, service)
        for nip in STAFF:
            response = await client.post("/v1/employees", headers=bearer("admin", "admin"),
                                         json={"nip": nip, "name": "Pegawai",
                                               "unit": "BAPENDA", "position": "Petugas"})
            assert response.status_code == 201, response.text
    work_date = WORK_DATE  # intake's 'today' (its clock is pinned)
    header = [("authorization", bearer("esamsat", "eservice")["Authorization"].encode())]
    sent: dict[int, str] = {}  # ingress offset -> activity id

    async def stream() -> None:
        producer = raw_producer(KAFKA, acks="all")
        await producer.start()
        try:
            for i in range(RECORDS):
                body = {"activity_id": str(uuid.uuid4()), "nip": STAFF[i % len(STAFF)],
                        "work_date": work_date, "minutes": 1, "description": "Samsat"}
                record = await producer.send_and_wait(
                    intake_stack["ingress"], json.dumps(body).encode(),
                    key=body["nip"].encode(), headers=header)
                sent[record.offset] = body["activity_id"]
                await asyncio.sleep(0.004)  # a steady stream, so the kill lands mid-way
        finally:
            await producer.stop()

    streaming = asyncio.create_task(stream())
    await eventually(lambda: len(sent) > RECORDS // 4, timeout=60, what="a quarter sent")
    service.kill()
    answered_before = len(await committed_outcomes(intake_stack["outcomes"]))
    await asyncio.sleep(0.5)  # down a while; records keep arriving
    service.start()
    await streaming

    async def all_answered() -> list[IngressOutcome]:
        found = await committed_outcomes(intake_stack["outcomes"])
        return found if len(found) >= RECORDS else []

    outcomes = await eventually(all_answered, timeout=120, what="every record answered")
    assert 0 < answered_before < RECORDS  # the kill came while the ingress was at work
    by_offset = {o.source_offset: o for o in outcomes}
    assert len(outcomes) == len(by_offset) == RECORDS  # once each, none twice
    assert {o.status for o in outcomes} == {"accepted"}
    assert {offset: str(o.kept_activity_id) for offset, o in by_offset.items()} == sent
    async with intake_stack["engine"].connect() as conn:
        rows = (await conn.execute(select(store_events.c.stream_id, store_events.c.position)
                                   .where(store_events.c.event_type == "ActivityReported")))
        stored = {row.stream_id.removeprefix("activity-"): row.position for row in rows}
    assert {str(o.kept_activity_id): o.position for o in outcomes} == stored
