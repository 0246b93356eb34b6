"""The distribution curve at the close, over the real stack (both services, Kafka,
PostgreSQL): intake reads appraisal's check and records it as ``DistributionChecked``
before ``PeriodClosed``.

On 3 April 2026 a unit of agency E2EC (PermenPANRB 6/2022) has three staff, each with an SKP
and no realisation yet: each is Sangat Kurang. With the organisational predicate Butuh
Perbaikan, "at least 60 % Butuh Perbaikan" needs ceil(1.8) = 2 people and finds 0: 2 short.
March's policy blocks: the early close is refused (409 ``curve_breached``, the unit named,
the check recorded); the admin records the predicate Baik (only "at most 70 % Baik": 0 of
3, passed) and the close goes ahead. April's policy only warns: on 4 May, with appraisal
out of intake's reach the close answers 503 and records nothing; reachable again, April
closes with the breach warned."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.intake.adapters.tables import events
from shared.db import make_engine
from shared.policy import Policy, default_policy_path, load_policy
from tests.e2e.conftest import Restart
from tests.e2e.support import System, eventually, free_port

pytestmark = pytest.mark.e2e

UNIT = "E2EC-UPT"
HEAD = "197504122000031001"
STAFF = ("198801152010012002", "199002202014031003", "199105052015041004")


@pytest.fixture(scope="module")
def clock_at() -> str:
    return "2026-04-03T10:00:00+07:00"


def check(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def agency_policy(version: str, effective_from: str, breach: str) -> dict[str, Any]:
    shipped = load_policy(default_policy_path().parent / "erk-permenpanrb-2022-2026.1.yaml")
    document = shipped.model_dump(mode="json")
    document["predicate"]["curve_breach"] = breach
    return Policy.model_validate({**document, "version": version, "agencies": ["E2EC"],
                                  "effective_from": effective_from}).model_dump(mode="json")


def skp(nip: str, period: str) -> dict[str, Any]:
    return {"nip": nip, "period": period, "results": [{
        "rhk_id": "R1", "kind": "main", "description": "Pelayanan pajak daerah",
        "indicators": [{"indicator_id": "q1", "aspect": "quantity",
                        "description": "Berkas diverifikasi", "target": 40,
                        "unit": "berkas"}]}]}


async def curve_events(system: System) -> list[tuple[str, str, dict[str, Any]]]:
    """(event type, stream, payload) of the checks and closes in the store, in order."""
    engine = make_engine(system.intake_db)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(events.c.event_type, events.c.stream_id, events.c.payload)
                .where(events.c.event_type.in_(["DistributionChecked", "PeriodClosed"]))
                .order_by(events.c.position))
            return [(row.event_type, row.stream_id, row.payload) for row in rows]
    finally:
        await engine.dispose()


async def test_the_curve_check_is_recorded_at_the_close(system: System,
                                                        restart: Restart) -> None:
    admin, head = system.auth("admin", "admin"), system.auth(HEAD, "superior")
    auditor = system.auth("audit", "auditor")
    async with httpx.AsyncClient(base_url=system.intake_url, timeout=20) as intake, \
            httpx.AsyncClient(base_url=system.appraisal_url, timeout=20) as appraisal:
        national = load_policy(default_policy_path()).model_copy(update={
            "version": "e2e-national", "effective_from": "2026-03", "backdating_days": 45})
        for document in (national.model_dump(mode="json"),
                         agency_policy("e2ec-block", "2026-03", "block"),
                         agency_policy("e2ec-warn", "2026-04", "warn")):
            check(await intake.post("/v1/policies", headers=admin, json=document))
        for nip in (HEAD, *STAFF):
            check(await intake.post("/v1/employees", headers=admin, json={
                "nip": nip, "name": "Pegawai", "unit": UNIT, "position": "Analis",
                "structural": nip == HEAD}))
        for nip in STAFF:
            check(await intake.post("/v1/reporting-lines", headers=admin, json={
                "nip": nip, "superior_nip": HEAD, "effective_from": "2026-03-01"}))
            for period in ("2026-03", "2026-04"):
                check(await intake.post("/v1/skp", headers=head, json=skp(nip, period)))
        for period in ("2026-03", "2026-04"):
            check(await intake.post("/v1/skp/organisational-predicates", headers=admin, json={
                "unit": UNIT, "period": period, "predicate": "Butuh Perbaikan"}))

        async def curve(period: str, outcome: str) -> dict[str, Any]:
            found = check(await appraisal.get(f"/v1/periods/{period}/distribution",
                                              headers=auditor), 200)
            assert found["outcome"] == outcome, found
            return dict(found)

        march = await eventually(lambda: curve("2026-03", "blocked"), within=30)
        (unit,) = march["units"]
        assert (unit["unit"], unit["staff"], unit["policy_version"]) == (
            UNIT, {"Sangat Kurang": 3}, "e2ec-block")
        assert [(b["predicates"], b["count"], b["limit_people"], b["by"])
                for b in unit["breaches"]] == [(["Butuh Perbaikan"], 0, 2, 2)]
        assert (march["recorded_checks"], march["recorded_at_close"]) == ([], None)

        # block, before the close day: refused, the units named, the attempt recorded
        refused = check(await intake.post("/v1/periods/2026-03/close", headers=admin), 409)
        assert refused["error"]["code"] == "curve_breached"
        assert UNIT in refused["error"]["message"]
        (only,) = await curve_events(system)
        assert (only[0], only[1], only[2]["close_action"], only[2]["outcome"]) == (
            "DistributionChecked", "distribution-2026-03", "refused", "blocked")
        assert only[2]["position"] >= march["position"]

        # the predicate put right, the close goes ahead with the passed check before it
        check(await intake.post("/v1/skp/organisational-predicates", headers=admin, json={
            "unit": UNIT, "period": "2026-03", "predicate": "Baik"}))
        await eventually(lambda: curve("2026-03", "passed"), within=30)
        closed = check(await intake.post("/v1/periods/2026-03/close", headers=admin))
        assert (closed["closed"], closed["curve_outcome"], closed["close_action"]) == (
            True, "passed", "closed")
        assert [(t, s, p.get("close_action")) for t, s, p in await curve_events(system)] == [
            ("DistributionChecked", "distribution-2026-03", "refused"),
            ("DistributionChecked", "distribution-2026-03", "closed"),
            ("PeriodClosed", "period-2026-03", None)]

        async def recorded_at_close() -> None:
            found = await curve("2026-03", "passed")
            assert [c["close_action"] for c in found["recorded_checks"]] == [
                "refused", "closed"]
            at_close = found["recorded_at_close"]
            assert at_close is not None and at_close["outcome"] == "passed"
            assert at_close["units"][0]["organisational_predicate"] == "Baik"

        await eventually(recorded_at_close, within=30)

        # 4 May, April ended: appraisal out of reach, 503 and nothing recorded
        await restart("intake", ERK_CLOCK_AT="2026-05-04T08:00:00+07:00",
                      INTAKE_APPRAISAL_URL=f"http://127.0.0.1:{free_port()}")
        answer = await intake.post("/v1/periods/2026-04/close", headers=admin)
        assert answer.headers["retry-after"] == "5"
        assert check(answer, 503)["error"]["code"] == "appraisal_unavailable"
        assert len(await curve_events(system)) == 3

        # reachable again: a warning only, April closes with the breach on record
        await restart("intake", INTAKE_APPRAISAL_URL=system.appraisal_url)
        closed = check(await intake.post("/v1/periods/2026-04/close", headers=admin))
        assert (closed["curve_outcome"], closed["close_action"]) == ("warned", "closed")
        check_type, _, checked = (await curve_events(system))[-2]
        assert (check_type, checked["outcome"], checked["units"][0]["breaches"][0]["by"]) == (
            "DistributionChecked", "warned", 2)
