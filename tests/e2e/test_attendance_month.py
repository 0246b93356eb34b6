"""A month of attendance over the real stack (both services as processes, ERK_CLOCK_AT):
July 2026 for a head and three staff. The fingerprint feed sends Ana's records over the
Kafka attendance topic and Budi's and Citra's over HTTP batches; Citra justifies her sick
day in time and the head approves it; on 4 August, a day past the deadline, her second
justification is refused; the admin closes July; appraisal shows each month final with
figures computed by hand.

July 2026: 23 weekdays, no holiday; 07:30-16:00; tiers 0.5 / 1 / 1.25 / 1.5 %, absence 3 %.
- Ana: on time every day -> 100.
- Budi: late 10, 40, 75 and 120 minutes on the 1st, 2nd, 3rd and 6th (0.5 + 1 + 1.25 + 1.5)
  and 15 minutes early on the 7th (0.5) -> 100 - 4.75 = 95.25.
- Citra: away on the 8th (sick, justified and approved) and the 9th (justified too late)
  -> 100 - 3 = 97.
"""

import json
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from shared.kafka import raw_producer
from shared.policy import default_policy_path, load_policy
from tests.e2e.conftest import Restart
from tests.e2e.support import KAFKA, System, eventually

pytestmark = pytest.mark.e2e

HEAD, ANA = "197504122000031001", "198801152010012002"
BUDI, CITRA = "199002202014031003", "199105052015032004"
JULY = [date(2026, 7, 1) + timedelta(days=n) for n in range(31)]
WEEKDAYS = [day for day in JULY if day.weekday() < 5]
BUDI_LATE = {1: "07:40", 2: "08:10", 3: "08:45", 6: "09:30"}


@pytest.fixture(scope="module")
def clock_at() -> str:
    return "2026-07-31T18:00:00+07:00"


def check(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def punches(nip: str, day: date, check_in: str = "07:25",
            check_out: str = "16:05") -> list[dict[str, Any]]:
    return [{"device_record_id": f"FP3-{nip[-4:]}-{day:%m%d}-{kind}", "nip": nip,
             "day": day.isoformat(), "kind": kind, "time": time}
            for kind, time in (("check_in", check_in), ("check_out", check_out))]


def budi(day: date) -> list[dict[str, Any]]:
    return punches(BUDI, day, BUDI_LATE.get(day.day, "07:30"),
                   "15:45" if day.day == 7 else "16:00")


async def discipline(appraisal: httpx.AsyncClient, admin: dict[str, str],
                     nip: str) -> dict[str, Any] | None:
    response = await appraisal.get(f"/v1/employees/{nip}/discipline/2026-07", headers=admin)
    return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]


async def test_a_month_of_attendance(system: System, restart: Restart) -> None:
    admin, head = system.auth("admin", "admin"), system.auth(HEAD, "superior")
    citra, feed = system.auth(CITRA, "employee"), system.auth("fp-bkpsdm", "eservice")
    async with httpx.AsyncClient(base_url=system.intake_url, timeout=30) as intake, \
            httpx.AsyncClient(base_url=system.appraisal_url, timeout=30) as appraisal:
        policy = load_policy(default_policy_path()).model_copy(update={
            "version": "e2e-attendance-1", "effective_from": "2026-07"})
        check(await intake.post("/v1/policies", headers=admin,
                                json=policy.model_dump(mode="json")))
        for nip in (HEAD, ANA, BUDI, CITRA):
            check(await intake.post("/v1/employees", headers=admin, json={
                "nip": nip, "name": "Pegawai", "unit": "BKPSDM-E2E", "position": "Staf",
                "structural": nip == HEAD}))
        for nip in (ANA, BUDI, CITRA):
            check(await intake.post("/v1/reporting-lines", headers=admin, json={
                "nip": nip, "superior_nip": HEAD, "effective_from": "2026-01-01"}))

        producer = raw_producer(KAFKA, acks="all")
        await producer.start()
        try:
            for day in WEEKDAYS:
                for body in punches(ANA, day):
                    await producer.send_and_wait(
                        system.topics.attendance, json.dumps(body).encode(),
                        key=ANA.encode(),
                        headers=[("authorization", feed["Authorization"].encode())])
        finally:
            await producer.stop()
        others = [r for day in WEEKDAYS for r in budi(day)] + [
            r for day in WEEKDAYS if day.day not in (8, 9) for r in punches(CITRA, day)]
        for start in range(0, len(others), 50):
            answered = check(await intake.post("/v1/attendance/batch", headers=feed,
                                               json=others[start:start + 50]), 200)
            assert {item["status"] for item in answered} == {"accepted"}, answered

        sick = {"justification_id": "0b7a4f52-9a60-4b8e-8a1d-3f0c2b6e7d11", "nip": CITRA,
                "first_day": "2026-07-08", "last_day": "2026-07-08", "reason": "sick",
                "evidence_ref": "SKD-PKM-0708"}
        check(await intake.post("/v1/absence-justifications", headers=citra, json=sick))
        decided = check(await intake.post(
            f"/v1/absence-justifications/{sick['justification_id']}/decision", headers=head,
            json={"decision": "approved", "note": "surat dokter"}))
        assert decided["status"] == "approved"

        async def ana_counted() -> None:  # the Kafka records are in before July closes
            row = await discipline(appraisal, admin, ANA)
            assert row is not None and row["days_present"] == 23, row
        await eventually(ana_counted, within=60)

        # 4 August: past July's deadline (the 3rd)
        await restart("intake", ERK_CLOCK_AT="2026-08-04T08:00:00+07:00")
        late = await intake.post("/v1/absence-justifications", headers=citra, json={
            **sick, "justification_id": "5d1e7c9a-2b4f-4a8e-9c3d-7e6f5a4b3c21",
            "first_day": "2026-07-09", "last_day": "2026-07-09"})
        assert late.status_code == 409, late.text
        assert late.json()["error"]["code"] == "justification_too_late"
        assert "until 2026-08-03" in late.json()["error"]["message"]
        check(await intake.post("/v1/periods/2026-07/close", headers=admin, json={}))

        async def final() -> dict[str, dict[str, Any]]:
            rows = {nip: await discipline(appraisal, admin, nip) for nip in (ANA, BUDI, CITRA)}
            assert all(row is not None and row["state"] == "final" for row in rows.values())
            return rows  # type: ignore[return-value]
        rows = await eventually(final, within=60)
        assert {nip: (row["days_expected"], row["days_present"], row["percentage"])
                for nip, row in rows.items()} == {
            ANA: (23, 23, 100.0), BUDI: (23, 23, 95.25), CITRA: (23, 21, 97.0)}
        assert rows[BUDI]["late_days_by_tier"] == [1, 1, 1, 1]
        assert rows[BUDI]["late_minutes"] == 10 + 40 + 75 + 120
        assert rows[BUDI]["left_early_days_by_tier"] == [1, 0, 0, 0]
        assert (rows[CITRA]["absent_justified"], rows[CITRA]["absent_unjustified"]) == (1, 1)
        assert "absent without justification 1 day(s) (2026-07-09): -3% (3% a day)" in (
            rows[CITRA]["reasons"])
        unit = check(await appraisal.get("/v1/units/BKPSDM-E2E/discipline/2026-07",
                                         headers=admin), 200)
        assert [item["nip"] for item in unit["items"]] == sorted([ANA, BUDI, CITRA])
