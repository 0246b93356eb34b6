"""The daily workflow over the real stack (both services as processes, PostgreSQL, Kafka): a
superior decides a day's work in one request, the owner amends what was sent back, and
appraisal shows the amendment pending again, the policy in force, the reporting line and
the running month's pace."""

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from shared.policy import default_policy_path, load_policy
from tests.e2e.support import System, eventually

pytestmark = pytest.mark.e2e

BOSS = "196804111993031009"
STAFF = "199001012015032001"


DAY = date(2026, 3, 18)  # a Wednesday: 13 of March's 22 working days have begun


@pytest.fixture(scope="module")
def clock_at() -> str:
    """Both services start on DAY (ERK_CLOCK_AT), so the pace is known in advance."""
    return "2026-03-18T09:00:00+07:00"


async def test_a_day_of_validation_with_a_revision(system: System) -> None:
    admin, staff = system.auth("admin", "admin"), system.auth(STAFF, "employee")
    boss, day = system.auth(BOSS, "superior"), DAY
    period = f"{day:%Y-%m}"
    policy = load_policy(default_policy_path()).model_copy(
        update={"version": "e2e-workflow-1", "effective_from": period})
    async with httpx.AsyncClient(base_url=system.intake_url, timeout=10) as intake, \
            httpx.AsyncClient(base_url=system.appraisal_url, timeout=10) as appraisal:
        assert (await intake.post("/v1/policies", headers=admin,
                                  json=policy.model_dump(mode="json"))).status_code == 201
        for nip, structural in ((BOSS, True), (STAFF, False)):
            response = await intake.post("/v1/employees", headers=admin, json={
                "nip": nip, "name": f"Pegawai {nip[-3:]}", "unit": "E2E-WORKFLOW",
                "position": "Pelaksana", "structural": structural})
            assert response.status_code == 201, response.text
        assert (await intake.post("/v1/reporting-lines", headers=admin, json={
            "nip": STAFF, "superior_nip": BOSS, "effective_from": "2020-01-01"})).status_code == 201

        ids = [str(uuid.uuid4()) for _ in range(3)]
        for activity_id, minutes in zip(ids, (120, 60, 30), strict=True):
            reported = await intake.post("/v1/activities", headers=staff, json={
                "activity_id": activity_id, "nip": STAFF, "work_date": day.isoformat(),
                "minutes": minutes, "description": "Verifikasi berkas pajak kendaraan"})
            assert reported.status_code == 201, reported.text

        decided = await intake.post("/v1/activities/decisions", headers=boss, json=[
            {"activity_id": ids[0], "decision": "revision_requested", "note": "Lengkapi"},
            {"activity_id": ids[1], "decision": "approved"},
            {"activity_id": ids[2], "decision": "rejected", "note": "Bukan tugas jabatan"},
            {"activity_id": str(uuid.uuid4()), "decision": "approved"}])
        assert decided.status_code == 200, decided.text
        assert [(r["status"], r["code"]) for r in decided.json()] == [
            ("accepted", None), ("accepted", None), ("accepted", None),
            ("rejected", "unknown_activity")]

        async def decided_in_appraisal() -> None:  # the last decision of the request
            response = await appraisal.get(f"/v1/activities/{ids[2]}", headers=staff)
            assert response.status_code == 200 and response.json()["status"] == "rejected"
        await eventually(decided_in_appraisal)
        sent_back = (await appraisal.get(f"/v1/activities/{ids[0]}", headers=staff)).json()
        assert sent_back["status"] == "revision_requested"
        queue = await appraisal.get(f"/v1/superiors/{BOSS}/pending", headers=boss)
        assert queue.json() == [], queue.text  # nothing waits for the superior now

        revised = await intake.post(f"/v1/activities/{ids[0]}/revision", headers=staff, json={
            "minutes": 90, "description": "Verifikasi berkas, bukti terlampir",
            "output": "Berita acara"})
        assert revised.status_code == 201, revised.text

        async def pending_again() -> dict[str, Any]:
            response = await appraisal.get(f"/v1/activities/{ids[0]}", headers=staff)
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["status"], body["minutes"]) == ("pending", 90), body
            return body  # type: ignore[no-any-return]

        activity = await eventually(pending_again)
        assert activity["description"] == "Verifikasi berkas, bukti terlampir"
        assert [(h["status"], h["actor"]) for h in activity["history"]] == [
            ("pending", STAFF), ("revision_requested", BOSS), ("pending", STAFF)]
        queue = (await appraisal.get(f"/v1/superiors/{BOSS}/pending", headers=boss)).json()
        assert [(a["activity_id"], a["minutes"]) for a in queue] == [(ids[0], 90)]
        month = (await appraisal.get(f"/v1/employees/{STAFF}/months/{period}",
                                     headers=staff)).json()
        minutes = month["minutes"]
        assert (minutes["pending_minutes"], minutes["approved_minutes"],
                minutes["rejected_minutes"], minutes["revision_minutes"]) == (90, 60, 30, 0)

        in_force = (await appraisal.get(f"/v1/periods/{period}/policy", headers=staff)).json()
        assert (in_force["version"], in_force["closed"]) == ("e2e-workflow-1", False)
        person = (await appraisal.get(f"/v1/employees/{STAFF}?as_of={day}",
                                      headers=staff)).json()
        assert person["reporting_line"]["superior_nip"] == BOSS
        assert person["reporting_line"]["since"] == "2020-01-01"

        page = (await appraisal.get(f"/v1/periods/{period}/eligibility",
                                    headers=system.auth("dash", "dashboard"))).json()
        (row,) = [r for r in page["items"] if r["nip"] == STAFF]
        assert row["pace"] == {"working_days_elapsed": 13, "working_days_total": 22,
                               "target_to_date": 3545.5, "pct_of_target_to_date": 1.7,
                               "score_at_pace": 1.7, "category_at_pace": "Buruk"}
        assert row["approved_minutes"] == 60 and row["state"] == "provisional"
