"""A mid-month transfer on the real stack: intake's HTTP API in-process on a fresh store with
a pinned clock, its relay onto a fresh Kafka topic, the topic applied to a fresh projection
database the live way, and every read model checked on appraisal. MOVER works in SAMSAT
under OLD_BOSS and moves to BAPENDA under NEW_BOSS on Monday 16 March 2026 (day D), recorded
on the 10th. Each side of D is validated by its own superior; both superiors and both sets
of peers rate the month; March closes on 2 April."""

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from flow_world import CreateDb, flow_world, replayed_and_live
from sqlalchemy import text

from services.appraisal.domain.records import Record
from services.appraisal.service_layer.batches import apply_records
from shared.clock import FixedClock
from shared.db import make_engine
from shared.events import AttendanceRecorded, EmployeeTransferred
from shared.policy import default_policy_path, load_policy
from tests.support import history as synthetic
from tests.support.api import at, auth, post
from tests.support.history import History, wire

pytestmark = pytest.mark.integration

OLD_BOSS, NEW_BOSS = "196804111993031009", "197512312000121003"
MOVER, OLD_PEER, NEW_PEER = "199001012015032001", "198505052010011002", "198001012005011001"
MARCH, D = "2026-03", date(2026, 3, 16)
SCORES = [i.name for i in load_policy(default_policy_path()).indicators_for(structural=False)]


ADMIN, DASHBOARD = auth("admin", "admin"), auth("dash", "dashboard")
AS_OLD, AS_NEW = auth(OLD_BOSS, "superior"), auth(NEW_BOSS, "superior")


async def report(client: httpx.AsyncClient, clock: FixedClock, day: date, minutes: int,
                 decider: dict[str, str], refused_by: dict[str, str]) -> str:
    """MOVER reports work on ``day``; ``refused_by`` may not decide it, ``decider`` approves."""
    clock.move_to(at(day))
    activity = str(uuid.uuid4())
    await post(client, "/v1/activities", auth(MOVER, "employee"), {
        "activity_id": activity, "nip": MOVER, "work_date": day.isoformat(),
        "minutes": minutes, "description": "Pengesahan STNK"})
    path = f"/v1/activities/{activity}/decision"
    refused = await post(client, path, refused_by, {"decision": "approved"}, 403)
    assert refused["error"]["code"] == "not_direct_superior"
    await post(client, path, decider, {"decision": "approved"})
    return activity


async def history(client: httpx.AsyncClient, clock: FixedClock) -> dict[str, str]:
    clock.move_to(at(date(2026, 3, 2)))
    for nip, unit in ((OLD_BOSS, "SAMSAT"), (NEW_BOSS, "BAPENDA"), (MOVER, "SAMSAT"),
                      (OLD_PEER, "SAMSAT"), (NEW_PEER, "BAPENDA")):
        await post(client, "/v1/employees", ADMIN, {
            "nip": nip, "name": "Pegawai Uji", "unit": unit, "position": "Analis",
            "structural": nip in (OLD_BOSS, NEW_BOSS)})
    for nip, superior in ((MOVER, OLD_BOSS), (OLD_PEER, OLD_BOSS), (NEW_PEER, NEW_BOSS)):
        await post(client, "/v1/reporting-lines", ADMIN, {
            "nip": nip, "superior_nip": superior, "effective_from": "2026-01-01"})
    clock.move_to(at(date(2026, 3, 10)))
    refused = await post(client, "/v1/transfers", AS_NEW, {
        "nip": MOVER, "unit": "BAPENDA", "superior_nip": NEW_BOSS,
        "effective_from": D.isoformat()}, 403)
    assert refused["error"]["code"] == "role_not_allowed"
    await post(client, "/v1/transfers", ADMIN, {
        "nip": MOVER, "unit": "BAPENDA", "superior_nip": NEW_BOSS,
        "effective_from": D.isoformat()})
    ids = {"before": await report(client, clock, date(2026, 3, 12), 120, AS_OLD, AS_NEW)}
    await report(client, clock, date(2026, 3, 13), 180, AS_OLD, AS_NEW)
    ids["after"] = await report(client, clock, D, 240, AS_NEW, AS_OLD)
    await report(client, clock, D + timedelta(days=1), 300, AS_NEW, AS_OLD)
    clock.move_to(at(date(2026, 3, 31)))
    for rater, role, score, relation in ((OLD_BOSS, "superior", 80, "superior"),
                                         (NEW_BOSS, "superior", 90, "superior"),
                                         (OLD_PEER, "employee", 70, "peer"),
                                         (NEW_PEER, "employee", 76, "peer")):
        rated = await post(client, "/v1/reviews", auth(rater, role), {
            "period": MARCH, "ratee_nip": MOVER, "scores": dict.fromkeys(SCORES, score)})
        assert rated["relation"] == relation, rater
    clock.move_to(at(date(2026, 4, 2)))
    await post(client, f"/v1/periods/{MARCH}/close", ADMIN, {})
    return ids


@pytest.fixture(scope="module")
async def world(create_database: CreateDb) -> AsyncIterator[dict[str, Any]]:
    async with flow_world(create_database, "transfer", at(date(2026, 3, 2)), at(date(2026, 4, 3)),
                          history) as made:
        yield made


async def get(world: dict[str, Any], path: str, headers: dict[str, str] = DASHBOARD,
              status: int = 200) -> Any:
    response = await world["reader"].get(path, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


async def test_activities_on_each_side_of_d_belong_to_their_superior(
        world: dict[str, Any]) -> None:
    before = await get(world, f"/v1/activities/{world['before']}", AS_OLD)
    after = await get(world, f"/v1/activities/{world['after']}", AS_NEW)
    assert (before["superior_nip"], before["decided_by"], before["status"]) == (
        OLD_BOSS, OLD_BOSS, "approved")
    assert (after["superior_nip"], after["decided_by"], after["status"]) == (
        NEW_BOSS, NEW_BOSS, "approved")
    for activity, stranger in ((world["before"], AS_NEW), (world["after"], AS_OLD)):
        refused = await get(world, f"/v1/activities/{activity}", stranger, 403)
        assert refused["error"]["code"] == "not_direct_superior"


async def test_unit_roll_ups_split_the_month(world: dict[str, Any]) -> None:
    """SAMSAT keeps 12 and 13 March (120 + 180 = 300 minutes), BAPENDA has 16 and 17 March
    (240 + 300 = 540); the category counts follow the eligibility row's unit (BAPENDA, the
    month's last day)."""
    samsat = await get(world, f"/v1/units/SAMSAT/months/{MARCH}")
    bapenda = await get(world, f"/v1/units/BAPENDA/months/{MARCH}")
    assert (samsat["employees_reporting"], samsat["minutes"]["approved"]) == (1, 300)
    assert (bapenda["employees_reporting"], bapenda["minutes"]["approved"]) == (1, 540)
    assert sum(samsat["minutes"].values()) == 300 and sum(bapenda["minutes"].values()) == 540
    assert samsat["categories"] == {"Buruk": 2}       # OLD_BOSS and OLD_PEER: nothing reported
    assert bapenda["categories"] == {"Buruk": 3}      # NEW_BOSS, NEW_PEER and MOVER
    days = await get(world, f"/v1/dashboard/minutes-by-day?period={MARCH}&unit=SAMSAT")
    assert {row["day"]: row["approved"] for row in days if row["approved"]} == {
        "2026-03-12": 120, "2026-03-13": 180}
    days = await get(world, f"/v1/dashboard/minutes-by-day?period={MARCH}&unit=BAPENDA")
    assert {row["day"]: row["approved"] for row in days if row["approved"]} == {
        "2026-03-16": 240, "2026-03-17": 300}


async def test_eligibility_counts_the_whole_month_in_the_new_unit(world: dict[str, Any]) -> None:
    """840 of 6,000 minutes = 14.0 %. 360: superiors 80 and 90 (mean 85), peers 70 and 76
    (mean 73): 2/3 x 85 + 1/3 x 73 = 81.0; peers rated, 60/40: 0.6 x 14 + 0.4 x 81 = 40.8,
    Buruk (0-50), 80 %."""
    page = await get(world, f"/v1/periods/{MARCH}/eligibility?unit=BAPENDA")
    (row,) = [r for r in page["items"] if r["nip"] == MOVER]
    assert (row["unit"], row["approved_minutes"], row["results_pct"], row["behaviour_score"],
            row["score"], row["category"], row["allowance_pct"], row["state"]) == (
        "BAPENDA", 840, 14.0, 81.0, 40.8, "Buruk", 80.0, "final")
    assert row["reasons"][1] == "360 score 81.0 (Baik) from 2 superiors, 2 peers"
    samsat = await get(world, f"/v1/periods/{MARCH}/eligibility?unit=SAMSAT")
    assert MOVER not in {r["nip"] for r in samsat["items"]}


async def test_the_employee_on_each_side_of_d(world: dict[str, Any]) -> None:
    old = await get(world, f"/v1/employees/{MOVER}?as_of=2026-03-15")
    new = await get(world, f"/v1/employees/{MOVER}?as_of=2026-03-16")
    assert (old["unit"], old["reporting_line"]["superior_nip"],
            old["reporting_line"]["superior_unit"]) == ("SAMSAT", OLD_BOSS, "SAMSAT")
    assert (new["unit"], new["reporting_line"]["superior_nip"],
            new["reporting_line"]["since"]) == ("BAPENDA", NEW_BOSS, "2026-03-16")
    # the month is read by the superior of its last day
    await get(world, f"/v1/employees/{MOVER}/months/{MARCH}", AS_NEW)
    refused = await get(world, f"/v1/employees/{MOVER}/months/{MARCH}", AS_OLD, 403)
    assert refused["error"]["code"] == "not_direct_superior"


async def test_the_roster_lists_each_employee_under_the_unit_of_the_day(
        world: dict[str, Any]) -> None:
    """Before D MOVER is listed under SAMSAT, from D on (and today, 3 April) under BAPENDA:
    the unit of the day, not the one MOVER was registered with."""
    units = "/v1/dashboard/units"
    counts = {"2026-03-15": {"BAPENDA": (2, 1), "SAMSAT": (3, 1)},
              "2026-03-16": {"BAPENDA": (3, 1), "SAMSAT": (2, 1)}}
    for day, expected in counts.items():
        found = await get(world, f"{units}?as_of={day}")
        assert {u["unit"]: (u["employees"], u["structural"]) for u in found} == expected, day
    assert await get(world, units) == await get(world, f"{units}?as_of=2026-03-16")
    people = "/v1/dashboard/people?unit="
    before = await get(world, f"{people}SAMSAT&as_of=2026-03-15")
    assert before[0]["nip"] == OLD_BOSS  # structural officials first (then by name)
    assert {(p["nip"], p["unit"]) for p in before} == {
        (OLD_BOSS, "SAMSAT"), (MOVER, "SAMSAT"), (OLD_PEER, "SAMSAT")}
    now = await get(world, f"{people}BAPENDA")
    assert {(p["nip"], p["unit"]) for p in now} == {
        (NEW_BOSS, "BAPENDA"), (MOVER, "BAPENDA"), (NEW_PEER, "BAPENDA")}
    assert MOVER not in {p["nip"] for p in await get(world, f"{people}SAMSAT")}


async def test_a_replay_into_sqlite_equals_live(world: dict[str, Any], tmp_path: Path) -> None:
    replayed, live = await replayed_and_live(world, tmp_path / "transfer.db", batch=5)
    assert live["unit_assignments"][0] == 1
    assert replayed == live


async def test_a_transfer_moves_the_open_months_rows_and_leaves_closed_ones(
        create_database: CreateDb) -> None:
    """Rows already projected: a transfer recorded later recomputes the open month's row
    (its unit is that of the month's last day), not the closed month's."""
    h = History()
    h.employee(1)                       # unit U1
    h.policy()
    for day in (date(2026, 2, 2), date(2026, 3, 2)):
        _, activity = h.activity(1, day, 120)
        h.decision(1, 0, activity, "approved")
    h.close("2026-02")
    moved = synthetic.nip(1)
    h.add(EmployeeTransferred(nip=moved, unit="U9", superior_nip=None,
                              effective_from=date(2026, 2, 20)), moved, f"employee-{moved}")
    engine = make_engine(await create_database("appraisal"))
    try:
        for envelopes in (h.envelopes[:-1], h.envelopes[-1:]):  # the transfer in a later batch
            records = [Record("events", 0, e.position or 0, value, key)
                       for e, (key, value) in ((e, wire(e)) for e in envelopes)]
            async with engine.begin() as conn:
                await apply_records(conn, records)
        async with engine.connect() as conn:
            units = dict((await conn.execute(text(
                "SELECT period, unit FROM eligibility WHERE nip = :nip"), {"nip": moved})).all())
    finally:
        await engine.dispose()
    assert units == {"2026-02": "U1", "2026-03": "U9"}


async def test_a_discipline_month_follows_the_transfer(create_database: CreateDb) -> None:
    """Attendance in March and April; a transfer to U9 effective 16 March, in a later batch:
    the open months' discipline rows move to U9 (the unit of each month's last day), as the
    eligibility rows do; February, closed before, stays with U1."""
    h = History()
    h.employee(1)                       # unit U1
    h.policy()
    moved = synthetic.nip(1)
    for n, day in enumerate((date(2026, 2, 2), date(2026, 3, 2), date(2026, 4, 1))):
        h.add(AttendanceRecorded(nip=moved, day=day, kind="check_in", time="07:20",
                                 source="fp", device_record_id=f"FP-{n}"), moved,
              f"attendance-{moved}-{n}")
    h.close("2026-02")
    h.add(EmployeeTransferred(nip=moved, unit="U9", superior_nip=None,
                              effective_from=date(2026, 3, 16)), moved, f"employee-{moved}")
    engine = make_engine(await create_database("appraisal"))
    try:
        for envelopes in (h.envelopes[:-1], h.envelopes[-1:]):  # the transfer in a later batch
            records = [Record("events", 0, e.position or 0, value, key)
                       for e, (key, value) in ((e, wire(e)) for e in envelopes)]
            async with engine.begin() as conn:
                await apply_records(conn, records)
        async with engine.connect() as conn:
            units = dict((await conn.execute(text(
                "SELECT period, unit FROM discipline_months WHERE nip = :nip"),
                {"nip": moved})).all())
    finally:
        await engine.dispose()
    assert units == {"2026-02": "U1", "2026-03": "U9", "2026-04": "U9"}
