"""Objections (keberatan) end to end on the real stack: intake's HTTP API in-process on a
fresh PostgreSQL store with a pinned clock, its relay onto a fresh Kafka topic, the topic
applied to a fresh projection database the live way, and appraisal's reads on it. February
closes early on 5 March; its close day is 10 March, so objections may be filed until 24
March. Every refusal code, an upheld objection with a new result, a rejected one, one still
pending in the decider's queue, and a replay into SQLite equal to the live projections."""

import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from flow_world import CreateDb, flow_world, replayed_and_live

from shared.clock import FixedClock
from tests.support.api import at, auth, post

pytestmark = pytest.mark.integration

TOP, HEAD = "196001011985031001", "196804111993031009"
S1, S2, S3, S4 = ("199001012015032001", "198505052010011002", "197512312000121003",
                  "198001012005011001")
PLH, LATER = "197003151996032002", "197106061997031003"   # act in TOP's place
FEBRUARY = "2026-02"


ADMIN, DASHBOARD = auth("admin", "admin"), auth("dash", "dashboard")
AS_TOP, AS_HEAD = auth(TOP, "superior"), auth(HEAD, "superior")


def code(answer: Any) -> str:
    return str(answer["error"]["code"])


async def file(client: httpx.AsyncClient, nip: str, status: int = 201,
               period: str = FEBRUARY) -> Any:
    return await post(client, "/v1/objections", auth(nip, "employee"),
                      {"period": period, "reasons": "Kegiatan tanggal 2 dan 3 kurang dihitung"},
                      status)


async def decide(client: httpx.AsyncClient, nip: str, headers: dict[str, str],
                 body: dict[str, Any], status: int = 201) -> Any:
    return await post(client, f"/v1/objections/{FEBRUARY}/{nip}/decision", headers, body,
                      status)


async def history(client: httpx.AsyncClient, clock: FixedClock) -> None:
    """Roster, February's work (each staff member: two approved reports of 300 minutes),
    the early close, then the objections and decisions, each on its day."""
    clock.move_to(at(date(2026, 2, 3)))
    for nip in (TOP, HEAD, S1, S2, S3, S4):
        await post(client, "/v1/employees", ADMIN, {
            "nip": nip, "name": "Pegawai Uji", "unit": "KEBERATAN", "position": "Analis",
            "structural": nip in (TOP, HEAD)})
    for nip, superior in ((HEAD, TOP), (S1, HEAD), (S2, HEAD), (S3, HEAD), (S4, HEAD)):
        await post(client, "/v1/reporting-lines", ADMIN, {
            "nip": nip, "superior_nip": superior, "effective_from": "2026-01-01"})
    for nip in (PLH, LATER):  # in another unit: the eligibility page of KEBERATAN is unchanged
        await post(client, "/v1/employees", ADMIN, {
            "nip": nip, "name": "Pegawai Uji", "unit": "KEBERATAN-SEKRETARIAT",
            "position": "Sekretaris", "structural": True})
    # TOP is away: PLH acts in TOP's place over the reads' day (26 March), LATER afterwards
    for acting, first, last in ((PLH, "2026-03-25", "2026-03-27"),
                                (LATER, "2026-03-30", "2026-04-03")):
        await post(client, "/v1/acting-appointments", ADMIN, {
            "head_nip": TOP, "acting_nip": acting, "kind": "Plh", "valid_from": first,
            "valid_to": last})
    for nip in (S1, S2, S3, S4):
        for day in ("2026-02-02", "2026-02-03"):
            activity = str(uuid.uuid4())
            await post(client, "/v1/activities", auth(nip, "employee"), {
                "activity_id": activity, "nip": nip, "work_date": day, "minutes": 300,
                "description": "Pengesahan STNK"})
            await post(client, f"/v1/activities/{activity}/decision", AS_HEAD,
                       {"decision": "approved"})
    clock.move_to(at(date(2026, 3, 2)))
    assert code(await file(client, S1, 409)) == "result_not_final"
    clock.move_to(at(date(2026, 3, 5)))
    await post(client, f"/v1/periods/{FEBRUARY}/close", ADMIN, {})
    assert code(await file(client, S1, 409, period="2026-03")) == "result_not_final"

    clock.move_to(at(date(2026, 3, 12)))
    filed = await file(client, S1)
    assert (filed["status"], filed["decider_nip"], filed["deadline"]) == (
        "under_objection", TOP, "2026-03-24")
    await file(client, S2)
    assert code(await file(client, S1, 409)) == "already_objected"

    clock.move_to(at(date(2026, 3, 16)))
    uphold = {"outcome": "upheld", "reason": "Dua kegiatan lapangan terbukti",
              "approved_minutes": 5400}
    assert code(await decide(client, S1, AS_HEAD, uphold, 403)) == "not_decider"  # the rater
    assert code(await decide(client, S1, auth(TOP, "employee"), uphold, 403)) == (
        "role_not_allowed")
    assert code(await decide(client, S1, AS_TOP, {"outcome": "upheld", "reason": "Ya"},
                             422)) == "new_result_required"
    assert code(await decide(client, S3, AS_TOP, uphold, 404)) == "unknown_objection"
    assert (await decide(client, S1, AS_TOP, uphold))["status"] == "upheld"
    assert code(await decide(client, S1, AS_TOP, uphold, 409)) == "objection_decided"
    rejected = await decide(client, S2, AS_TOP, {"outcome": "rejected",
                                                 "reason": "Tidak ada bukti"})
    assert rejected["status"] == "rejected"

    clock.move_to(at(date(2026, 3, 24)))  # the deadline itself: still in time
    await file(client, S3)
    clock.move_to(at(date(2026, 3, 25)))  # the day after: too late
    assert code(await file(client, S4, 409)) == "objection_window_expired"


@pytest.fixture(scope="module")
async def world(create_database: CreateDb) -> AsyncIterator[dict[str, Any]]:
    async with flow_world(create_database, "objections", at(date(2026, 2, 3)),
                          at(date(2026, 3, 26)), history) as made:
        yield made


async def get(world: dict[str, Any], path: str, headers: dict[str, str] = DASHBOARD,
              status: int = 200) -> Any:
    response = await world["reader"].get(path, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


FIGURES = ("approved_minutes", "results_pct", "behaviour_score", "score", "category",
           "allowance_pct", "state", "objection", "payable")


async def test_eligibility_shows_each_objection(world: dict[str, Any]) -> None:
    """600 of 6,000 minutes = 10.0 %, no 360: score 10.0, Buruk, 80 %. S1's objection was
    upheld with 5,400 minutes: 90.0 %, score 90.0, Baik (76-90), 100 %. S2's was rejected:
    unchanged. S3's waits: unchanged and not payable. S4 objected too late: no objection."""
    page = await get(world, f"/v1/periods/{FEBRUARY}/eligibility?unit=KEBERATAN")
    rows = {row["nip"]: tuple(row[k] for k in FIGURES) for row in page["items"]}
    as_rated = (600, 10.0, None, 10.0, "Buruk", 80.0, "final")
    assert rows[S1] == (5400, 90.0, None, 90.0, "Baik", 100.0, "final", "upheld", True)
    assert rows[S2] == (*as_rated, "rejected", True)
    assert rows[S3] == (*as_rated, "under_objection", False)
    assert rows[S4] == (*as_rated, None, True)
    upheld = next(row for row in page["items"] if row["nip"] == S1)
    assert upheld["reasons"][-1] == "result set by the objection decision of 2026-03-16 (upheld)"


async def test_the_deciders_queue_with_ages(world: dict[str, Any]) -> None:
    queue = await get(world, f"/v1/superiors/{TOP}/objections", AS_TOP)
    assert queue["as_of"] == "2026-03-26"
    assert [(i["nip"], i["period"], i["rater_nip"], i["filed_on"], i["deadline"], i["age_days"])
            for i in queue["items"]] == [
        (S3, FEBRUARY, HEAD, "2026-03-24", "2026-03-24", 2)]
    assert (await get(world, f"/v1/superiors/{HEAD}/objections", AS_HEAD))["items"] == []
    refused = await get(world, f"/v1/superiors/{TOP}/objections", AS_HEAD, 403)
    assert refused["error"]["code"] == "not_own_queue"
    refused = await get(world, f"/v1/superiors/{TOP}/objections", auth(TOP, "employee"), 403)
    assert refused["error"]["code"] == "role_not_allowed"
    assert queue["items"][0]["acting_for"] is None  # TOP's own


async def test_an_acting_officials_queue_holds_the_heads_objections(
        world: dict[str, Any]) -> None:
    """On 26 March PLH acts in TOP's place (25-27 March): S3's objection, waiting for TOP,
    is in PLH's own queue, naming TOP; LATER's appointment begins on the 30th: nothing yet."""
    queue = await get(world, f"/v1/superiors/{PLH}/objections", auth(PLH, "superior"))
    assert [(i["nip"], i["period"], i["rater_nip"], i["age_days"], i["acting_for"])
            for i in queue["items"]] == [(S3, FEBRUARY, HEAD, 2, TOP)]
    later = await get(world, f"/v1/superiors/{LATER}/objections", auth(LATER, "superior"))
    assert later["items"] == []
    refused = await get(world, f"/v1/superiors/{PLH}/objections", AS_TOP, 403)
    assert refused["error"]["code"] == "not_own_queue"


async def test_one_objection_under_the_read_rules(world: dict[str, Any]) -> None:
    path = f"/v1/employees/{S1}/objections/{FEBRUARY}"
    mine = await get(world, path, auth(S1, "employee"))
    assert (mine["status"], mine["decider_nip"], mine["decided_by"], mine["acting_for"],
            mine["decided_on"], mine["approved_minutes"], mine["decision_reason"]) == (
        "upheld", TOP, TOP, None, "2026-03-16", 5400, "Dua kegiatan lapangan terbukti")
    assert (await get(world, path, AS_TOP))["status"] == "upheld"    # the decider
    assert (await get(world, path, AS_HEAD))["status"] == "upheld"   # the direct superior
    refused = await get(world, path, auth(S2, "employee"), 403)
    assert refused["error"]["code"] == "role_not_allowed"
    refused = await get(world, path, auth(S2, "superior"), 403)
    assert refused["error"]["code"] == "not_direct_superior"
    none = await get(world, f"/v1/employees/{S4}/objections/{FEBRUARY}", status=404)
    assert none["error"]["code"] == "not_found"


async def test_a_replay_into_sqlite_equals_live(world: dict[str, Any], tmp_path: Path) -> None:
    replayed, live = await replayed_and_live(world, tmp_path / "objections.db", batch=7)
    assert (live["objections"][0], live["acting_appointments"][0]) == (3, 2)
    assert replayed == live
