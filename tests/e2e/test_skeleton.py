"""The walking skeleton over the real stack: an activity goes in through intake's HTTP API,
through the PostgreSQL event store and Kafka, and comes out of appraisal's HTTP API as
pending; the direct superior's approval turns it approved."""

import uuid
from typing import Any

import httpx
import pytest

from shared.policy import default_policy_path, load_policy
from tests.e2e.support import System, eventually

pytestmark = pytest.mark.e2e

BOSS = "196804111993031009"
STAFF = "199001012015032001"


@pytest.fixture(scope="module")
def clock_at() -> str:
    """Both services start on a fixed instant (ERK_CLOCK_AT), never the machine's date."""
    return "2026-05-20T10:00:00+07:00"


def today() -> str:
    return "2026-05-20"  # the services' 'today' (clock_at)


async def test_activity_from_intake_to_appraisal_and_approved(system: System) -> None:
    admin = system.auth("admin", "admin")
    policy = load_policy(default_policy_path()).model_copy(
        update={"version": "e2e-skeleton-1", "effective_from": today()[:7]})
    async with httpx.AsyncClient(base_url=system.intake_url, timeout=10) as intake, \
            httpx.AsyncClient(base_url=system.appraisal_url, timeout=10) as appraisal:
        published = await intake.post("/v1/policies", headers=admin,
                                      json=policy.model_dump(mode="json"))
        assert published.status_code == 201, published.text
        assert published.json()["published"] is True

        for nip, name, structural in ((BOSS, "Budi Santoso", True),
                                      (STAFF, "Siti Aminah", False)):
            response = await intake.post("/v1/employees", headers=admin, json={
                "nip": nip, "name": name, "unit": "E2E-SKELETON", "position": "Pelaksana",
                "structural": structural, "employment_type": "PNS", "job_class": 7})
            assert response.status_code == 201, response.text
        line = await intake.post("/v1/reporting-lines", headers=admin, json={
            "nip": STAFF, "superior_nip": BOSS, "effective_from": "2020-01-01"})
        assert line.status_code == 201, line.text

        activity_id = str(uuid.uuid4())
        reported = await intake.post("/v1/activities", headers=system.auth(STAFF, "employee"),
                                     json={"activity_id": activity_id, "nip": STAFF,
                                           "work_date": today(), "minutes": 120,
                                           "description": "Verifikasi berkas pajak kendaraan"})
        assert reported.status_code == 201, reported.text
        assert reported.json()["status"] == "accepted"

        reader = system.auth(STAFF, "employee")

        async def status_is(expected: str) -> dict[str, Any]:
            response = await appraisal.get(f"/v1/activities/{activity_id}", headers=reader)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["status"] == expected, body
            return body  # type: ignore[no-any-return]

        pending = await eventually(lambda: status_is("pending"), within=15)
        assert pending["nip"] == STAFF
        assert pending["superior_nip"] == BOSS
        assert pending["minutes"] == 120

        decided = await intake.post(f"/v1/activities/{activity_id}/decision",
                                    headers=system.auth(BOSS, "superior"),
                                    json={"decision": "approved", "note": "Sesuai"})
        assert decided.status_code == 201, decided.text

        approved = await eventually(lambda: status_is("approved"), within=15)
        assert approved["decided_by"] == BOSS
        assert [h["status"] for h in approved["history"]] == ["pending", "approved"]

        month = await appraisal.get(f"/v1/employees/{STAFF}/months/{today()[:7]}",
                                    headers=reader)
        assert month.status_code == 200, month.text
        assert month.json()["minutes"]["approved_minutes"] == 120

        intake_health = (await intake.get("/health")).json()
        assert intake_health["status"] == "ok", intake_health
        assert intake_health["postgres"]["status"] == "ok"
        assert intake_health["kafka"]["status"] == "ok"
        assert intake_health["postgres"]["store_head"] >= 5
        appraisal_health = (await appraisal.get("/health")).json()
        assert appraisal_health["status"] == "ok", appraisal_health
        assert appraisal_health["postgres"]["status"] == "ok"
        assert appraisal_health["consumer"]["status"] == "ok"
        assert appraisal_health["consumer"]["assigned_partitions"] == [0, 1, 2, 3, 4, 5]
