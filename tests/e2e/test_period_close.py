"""A period locks by itself, over the real stack: both services start on 9 April 2026 (the
day before March's close day), a unit reports and validates part of March; intake is
restarted on the close day; its period closer records March's close with the system as
actor (in the store and on the events topic), March no longer accepts anything, and the
activities still waiting show as not validated in time and leave the head's queue."""

import uuid
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition
from sqlalchemy import select

from services.intake.adapters.tables import events
from shared.codec import decode_envelope
from shared.db import make_engine
from shared.kafka import raw_consumer
from shared.policy import default_policy_path, load_policy
from tests.e2e.conftest import Restart
from tests.e2e.support import EVENTS_PARTITIONS, KAFKA, System, eventually

pytestmark = pytest.mark.e2e

HEAD = "197504122000031001"
ANA = "198801152010012002"
BUDI = "199002202014031003"
SCORES = dict.fromkeys(("integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama"), 80)


@pytest.fixture(scope="module")
def clock_at() -> str:
    return "2026-04-09T10:00:00+07:00"


def activity(nip: str, day: str, minutes: int) -> dict[str, Any]:
    return {"activity_id": str(uuid.uuid4()), "nip": nip, "work_date": day,
            "minutes": minutes, "description": "Verifikasi berkas pajak"}


def check(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


async def closes_in_store(system: System) -> list[tuple[str, str]]:
    engine = make_engine(system.intake_db)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(events.c.stream_id, events.c.actor)
                                      .where(events.c.event_type == "PeriodClosed"))
            return [(row.stream_id, row.actor) for row in rows]
    finally:
        await engine.dispose()


async def closes_on_topic(system: System) -> set[tuple[str, str, int]]:
    """(period, actor, partition) of every PeriodClosed on the events topic."""
    consumer = raw_consumer(KAFKA, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(system.topics.events, p) for p in range(EVENTS_PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        found: set[tuple[str, str, int]] = set()
        done = {tp for tp in tps if end[tp] == 0}
        while len(done) < len(tps):
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for record in records:
                    envelope = decode_envelope(record.value)
                    if envelope.event_type == "PeriodClosed":
                        found.add((envelope.payload["period"], envelope.actor, tp.partition))
                    if record.offset + 1 >= end[tp]:
                        done.add(tp)
        return found
    finally:
        await consumer.stop()


async def test_march_closes_by_itself_on_its_close_day(system: System,
                                                       restart: Restart) -> None:
    admin, head = system.auth("admin", "admin"), system.auth(HEAD, "superior")
    ana, budi = system.auth(ANA, "employee"), system.auth(BUDI, "employee")
    async with httpx.AsyncClient(base_url=system.intake_url, timeout=20) as intake, \
            httpx.AsyncClient(base_url=system.appraisal_url, timeout=20) as appraisal:
        policy = load_policy(default_policy_path()).model_copy(update={
            "version": "e2e-close-1", "effective_from": "2026-03", "backdating_days": 45})
        assert policy.close_day == 10
        check(await intake.post("/v1/policies", headers=admin,
                                json=policy.model_dump(mode="json")))
        for nip, structural in ((HEAD, True), (ANA, False), (BUDI, False)):
            check(await intake.post("/v1/employees", headers=admin, json={
                "nip": nip, "name": "Pegawai", "unit": "E2E-CLOSE", "position": "Staf",
                "structural": structural}))
        for nip in (ANA, BUDI):
            check(await intake.post("/v1/reporting-lines", headers=admin, json={
                "nip": nip, "superior_nip": HEAD, "effective_from": "2026-03-01"}))

        # 9 April, the day before the close day: March still takes work and decisions
        waiting = activity(ANA, "2026-03-27", 120)
        sent_back = activity(ANA, "2026-03-30", 90)
        approved = activity(ANA, "2026-03-31", 240)
        budi_waiting = activity(BUDI, "2026-03-31", 60)
        april = activity(ANA, "2026-04-08", 30)
        for body in (waiting, sent_back, approved, april):
            check(await intake.post("/v1/activities", headers=ana, json=body))
        check(await intake.post("/v1/activities", headers=budi, json=budi_waiting))
        for body, decision in ((sent_back, "revision_requested"), (approved, "approved")):
            check(await intake.post(f"/v1/activities/{body['activity_id']}/decision",
                                    headers=head, json={"decision": decision}))
        check(await intake.post("/v1/reviews", headers=head, json={
            "period": "2026-03", "ratee_nip": ANA, "scores": SCORES}))
        assert await closes_in_store(system) == []

        async def queued() -> set[str]:
            queue = check(await appraisal.get(f"/v1/superiors/{HEAD}/pending", headers=head),
                          200)
            return {item["activity_id"] for item in queue}

        async def before_close() -> None:
            assert await queued() == {waiting["activity_id"], budi_waiting["activity_id"],
                                      april["activity_id"]}

        await eventually(before_close, within=30)

        # the close day: intake starts again on 10 April, 08:00 WIB; nobody asks to close
        await restart("intake", ERK_CLOCK_AT="2026-04-10T08:00:00+07:00")
        assert await closes_in_store(system) == [("period-2026-03", "system")]

        async def on_topic() -> None:
            found = await closes_on_topic(system)
            assert {(period, actor) for period, actor, _ in found} == {("2026-03", "system")}
            assert len(found) == EVENTS_PARTITIONS  # a broadcast: on every partition

        await eventually(on_topic, within=30)

        # nothing dated in March is accepted any more
        refused(await intake.post("/v1/activities", headers=ana,
                                  json=activity(ANA, "2026-03-31", 60)), 409, "period_closed")
        refused(await intake.post(f"/v1/activities/{waiting['activity_id']}/decision",
                                  headers=head, json={"decision": "approved"}),
                409, "period_closed")
        refused(await intake.post("/v1/reviews", headers=head, json={
            "period": "2026-03", "ratee_nip": BUDI, "scores": SCORES}), 409, "period_closed")
        refused(await intake.post("/v1/periods/2026-03/close", headers=admin),
                409, "period_closed")
        refused(await intake.post("/v1/reviews", headers=head, json={
            "period": "2026-05", "ratee_nip": BUDI, "scores": SCORES}), 422, "period_in_future")
        check(await intake.post("/v1/activities", headers=ana,
                                json=activity(ANA, "2026-04-10", 60)))  # April is open

        # what was still waiting is not validated in time, and left the queue
        async def after_close() -> None:
            assert await queued() - {april["activity_id"]} == set()
            statuses = {}
            for body in (waiting, sent_back, approved, budi_waiting):
                row = check(await appraisal.get(f"/v1/activities/{body['activity_id']}",
                                                headers=head), 200)
                statuses[body["activity_id"]] = (row["status"], row["history"][-1]["actor"])
            assert statuses == {
                waiting["activity_id"]: ("not_validated", "system"),
                sent_back["activity_id"]: ("not_validated", "system"),
                approved["activity_id"]: ("approved", HEAD),
                budi_waiting["activity_id"]: ("not_validated", "system")}

        await eventually(after_close, within=30)
        assert april["activity_id"] in await queued()
        month = check(await appraisal.get(f"/v1/employees/{ANA}/months/2026-03",
                                          headers=head), 200)
        minutes = month["minutes"]
        assert (minutes["pending_minutes"], minutes["revision_minutes"],
                minutes["approved_minutes"], minutes["not_validated_minutes"]) == (
            0, 0, 240, 120 + 90)
        assert month["eligibility"]["state"] == "final"
