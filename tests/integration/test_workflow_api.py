"""The daily workflow on intake's HTTP API (in-process, fresh PostgreSQL, pinned clock):
amending an activity sent back for revision, and deciding many activities at once."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.intake.adapters import tables as t
from services.intake.bootstrap import build_app
from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role, issue_token
from shared.clock import FixedClock
from shared.policy import default_policy_path
from shared.settings import AuthSettings

pytestmark = pytest.mark.integration

BOSS = "196804111993031009"
STAFF = "199001012015032001"
PEER = "198505052010011002"  # reports to BOSS too
OTHER_BOSS = "197512312000121003"
OUTSIDER = "198001012005011001"  # reports to OTHER_BOSS
WIB = ZoneInfo("Asia/Jakarta")
MAX_BATCH = 6


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=WIB)


def auth(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(hours=12))  # minted at import: outlive any suite run
    return {"Authorization": f"Bearer {token}"}


ADMIN, STAFF_T, BOSS_T = auth("admin", "admin"), auth(STAFF, "employee"), auth(BOSS, "superior")


@pytest.fixture(scope="module")
async def app(create_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[FastAPI]:
    # the period closer closes January and February on start (their close days are past)
    # and, on this interval, never again: the tests move the clock where they need it
    settings = IntakeSettings(database_url=await create_database("intake"),
                              policy_file=default_policy_path(), max_batch=MAX_BATCH,
                              period_closer_interval_s=3600)
    app = build_app(settings, run_relay=False, run_ingress=False,
                    clock=FixedClock(at(date(2026, 3, 18))))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        lines = [(STAFF, BOSS), (PEER, BOSS), (OUTSIDER, OTHER_BOSS)]
        for nip in (BOSS, STAFF, PEER, OTHER_BOSS, OUTSIDER):
            response = await client.post("/v1/employees", headers=ADMIN, json={
                "nip": nip, "name": "Pegawai Uji", "unit": "BKPSDM", "position": "Analis",
                "structural": nip in (BOSS, OTHER_BOSS)})
            assert response.status_code == 201, response.text
        for nip, superior in lines:
            response = await client.post("/v1/reporting-lines", headers=ADMIN, json={
                "nip": nip, "superior_nip": superior, "effective_from": "2020-01-01"})
            assert response.status_code == 201, response.text
        yield client


def set_today(app: FastAPI, day: date) -> None:
    app.state.intake.clock.move_to(at(day))


async def stream(app: FastAPI, activity_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with app.state.intake.engine.connect() as conn:
        rows = await conn.execute(select(t.events.c.event_type, t.events.c.payload)
                                  .where(t.events.c.stream_id == f"activity-{activity_id}")
                                  .order_by(t.events.c.stream_version))
        return [(row.event_type, row.payload) for row in rows]


async def write_model(app: FastAPI, activity_id: str) -> dict[str, Any]:
    async with app.state.intake.engine.connect() as conn:
        row = (await conn.execute(select(t.activities).where(
            t.activities.c.activity_id == uuid.UUID(activity_id)))).one()
        return dict(row._mapping)


async def day_total(app: FastAPI, nip: str, day: date) -> int:
    async with app.state.intake.engine.connect() as conn:
        return int(await conn.scalar(select(func.coalesce(func.sum(t.day_minutes.c.minutes), 0))
                                     .where(t.day_minutes.c.nip == nip,
                                            t.day_minutes.c.work_date == day)))


async def report(client: httpx.AsyncClient, day: date, minutes: int = 120,
                 headers: dict[str, str] = STAFF_T, **extra: Any) -> dict[str, Any]:
    body = {"activity_id": str(uuid.uuid4()), "nip": STAFF, "work_date": day.isoformat(),
            "minutes": minutes, "description": "Menyusun laporan kinerja", **extra}
    response = await client.post("/v1/activities", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return body


async def decide(client: httpx.AsyncClient, activity_id: str, decision: str) -> None:
    response = await client.post(f"/v1/activities/{activity_id}/decision", headers=BOSS_T,
                                 json={"decision": decision, "note": "Lengkapi bukti"})
    assert response.status_code == 201, response.text


async def revise(client: httpx.AsyncClient, activity_id: str, headers: dict[str, str] = STAFF_T,
                 **changes: Any) -> httpx.Response:
    body = {"minutes": 90, "description": "Menyusun laporan kinerja, bukti terlampir",
            "output": "Laporan", **changes}
    return await client.post(f"/v1/activities/{activity_id}/revision", headers=headers,
                             json=body)


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json()["error"]["code"])


# -- revision ------------------------------------------------------------------------------------

async def test_the_owner_amends_and_the_activity_is_pending_again(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    set_today(app, date(2026, 3, 18))
    day = date(2026, 3, 16)
    original = await report(client, day, minutes=120)
    activity_id = original["activity_id"]
    first_answer = (await client.post("/v1/activities", headers=STAFF_T, json=original)).json()
    await decide(client, activity_id, "revision_requested")

    revised = await revise(client, activity_id)
    assert revised.status_code == 201, revised.text
    assert revised.json()["status"] == "pending"
    assert revised.json()["activity_id"] == activity_id
    events = await stream(app, activity_id)
    assert [e for e, _ in events] == ["ActivityReported", "ReviewSubmitted", "ActivityRevised"]
    assert events[2][1] == {"activity_id": activity_id, "nip": STAFF, "work_date": "2026-03-16",
                            "minutes": 90, "output": "Laporan",
                            "description": "Menyusun laporan kinerja, bukti terlampir"}
    row = await write_model(app, activity_id)
    assert (row["status"], row["minutes"], row["version"]) == ("pending", 90, 3)
    assert (row["reported_work_date"], row["reported_minutes"]) == (day, 120)
    assert await day_total(app, STAFF, day) == 90

    # a retry of the original report is still answered as the original was
    retry = await client.post("/v1/activities", headers=STAFF_T, json=original)
    assert (retry.status_code, retry.json()) == (201, first_answer)
    # revising again needs a new request for revision
    assert error(await revise(client, activity_id), 409) == "not_revision_requested"
    await decide(client, activity_id, "approved")
    assert error(await revise(client, activity_id), 409) == "not_revision_requested"
    assert len(await stream(app, activity_id)) == 4


async def test_who_may_revise(app: FastAPI, client: httpx.AsyncClient) -> None:
    set_today(app, date(2026, 3, 18))
    activity_id = (await report(client, date(2026, 3, 17), minutes=30))["activity_id"]
    assert error(await revise(client, activity_id), 409) == "not_revision_requested"  # pending
    await decide(client, activity_id, "revision_requested")
    refusals = {
        "peer": (auth(PEER, "employee"), 403, "not_own_activity"),
        "the superior": (BOSS_T, 403, "not_own_activity"),
        "an e-service": (auth("esamsat", "eservice"), 403, "not_own_source"),
        "an admin": (ADMIN, 403, "role_not_allowed"),
    }
    for who, (headers, status, code) in refusals.items():
        assert error(await revise(client, activity_id, headers), status) == code, who
    assert error(await revise(client, str(uuid.uuid4())), 404) == "unknown_activity"
    assert error(await revise(client, activity_id, surprise=1), 422) == "unknown_field"
    assert len(await stream(app, activity_id)) == 2  # nothing was stored
    assert (await revise(client, activity_id, headers=auth(STAFF, "superior"))).status_code == 201


async def test_an_e_service_revises_what_it_reported(app: FastAPI,
                                                     client: httpx.AsyncClient) -> None:
    set_today(app, date(2026, 3, 18))
    esamsat = auth("esamsat", "eservice")
    original = await report(client, date(2026, 3, 18), 15, esamsat, external_ref="TX-REV-1")
    await decide(client, original["activity_id"], "revision_requested")
    eoffice = auth("eoffice", "eservice")
    assert error(await revise(client, original["activity_id"], eoffice), 403) == "not_own_source"
    revised = await revise(client, original["activity_id"], esamsat, minutes=12)
    assert revised.status_code == 201, revised.text
    # the e-service re-sends its day with a fresh id: the transaction is known, same answer
    resend = await client.post("/v1/activities", headers=esamsat,
                               json={**original, "activity_id": str(uuid.uuid4())})
    assert resend.status_code == 201, resend.text
    assert resend.json()["activity_id"] == original["activity_id"]


async def test_the_day_total_follows_the_revision(app: FastAPI,
                                                  client: httpx.AsyncClient) -> None:
    set_today(app, date(2026, 3, 18))
    day, other_day = date(2026, 3, 13), date(2026, 3, 12)
    big = (await report(client, day, minutes=480))["activity_id"]
    await decide(client, big, "revision_requested")
    assert error(await revise(client, big, minutes=481), 422) == "minutes_out_of_bounds"
    assert (await revise(client, big, minutes=300)).status_code == 201
    assert await day_total(app, STAFF, day) == 300
    await report(client, day, minutes=420)  # 300 + 420 = 720, the plausible most
    refused = await client.post("/v1/activities", headers=STAFF_T, json={
        "activity_id": str(uuid.uuid4()), "nip": STAFF, "work_date": day.isoformat(),
        "minutes": 1, "description": "Satu menit lagi"})
    assert error(refused, 422) == "day_total_implausible"

    # moving the work to another day moves its minutes too
    await decide(client, big, "revision_requested")
    await report(client, other_day, minutes=400)
    assert error(await revise(client, big, minutes=321, work_date=other_day.isoformat()),
                 422) == "day_total_implausible"
    moved = await revise(client, big, minutes=320, work_date=other_day.isoformat())
    assert moved.status_code == 201, moved.text
    assert (await day_total(app, STAFF, day), await day_total(app, STAFF, other_day)) == (
        420, 720)
    row = await write_model(app, big)
    assert (row["work_date"], row["minutes"]) == (other_day, 320)
    assert (row["reported_work_date"], row["reported_minutes"]) == (day, 480)


async def test_a_new_work_date_obeys_the_reporting_window(app: FastAPI,
                                                          client: httpx.AsyncClient) -> None:
    set_today(app, date(2026, 3, 18))
    activity_id = (await report(client, date(2026, 3, 11), minutes=60))["activity_id"]
    await decide(client, activity_id, "revision_requested")
    assert error(await revise(client, activity_id, work_date="2026-03-19"),
                 422) == "work_date_in_future"
    assert error(await revise(client, activity_id, work_date="2026-03-10"),
                 422) == "outside_backdating_window"
    set_today(app, date(2026, 3, 25))  # the report itself is out of the window by now
    assert (await revise(client, activity_id)).status_code == 201


async def test_a_closed_period_is_not_revised(app: FastAPI, client: httpx.AsyncClient) -> None:
    set_today(app, date(2026, 5, 29))
    may = (await report(client, date(2026, 5, 28), minutes=60))["activity_id"]
    await decide(client, may, "revision_requested")
    set_today(app, date(2026, 6, 2))
    june = (await report(client, date(2026, 6, 1), minutes=60))["activity_id"]
    await decide(client, june, "revision_requested")
    closed = await client.post("/v1/periods/2026-05/close", headers=ADMIN)  # before the 10th
    assert closed.status_code == 201, closed.text
    assert error(await revise(client, may), 409) == "period_closed"
    moved_back = await revise(client, june, work_date="2026-05-29")
    assert error(moved_back, 409) == "period_closed"
    assert moved_back.json()["error"]["field"] == "work_date"
    assert len(await stream(app, may)) == len(await stream(app, june)) == 2


async def test_a_period_locked_by_its_close_day_is_not_revised(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    set_today(app, date(2026, 4, 9))
    april = (await report(client, date(2026, 4, 8), minutes=60))["activity_id"]
    await decide(client, april, "revision_requested")
    set_today(app, date(2026, 5, 10))  # April's close day: locked, though no close recorded
    assert error(await revise(client, april), 409) == "period_closed"
    set_today(app, date(2026, 5, 9))
    assert (await revise(client, april)).status_code == 201


# -- bulk decisions ------------------------------------------------------------------------------

async def test_a_superior_decides_many_at_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    set_today(app, date(2026, 3, 18))
    day = date(2026, 3, 18)
    before = await day_total(app, STAFF, day)  # other tests of this module report that day
    mine = [(await report(client, day, minutes=20))["activity_id"] for _ in range(3)]
    outsider = (await report(client, day, 20, auth(OUTSIDER, "employee"), nip=OUTSIDER))
    own = (await report(client, day, 20, BOSS_T, nip=BOSS))["activity_id"]
    unknown = str(uuid.uuid4())
    items = [
        {"activity_id": mine[0], "decision": "approved"},
        {"activity_id": mine[1], "decision": "rejected", "note": "Bukan tugas jabatan"},
        {"activity_id": unknown, "decision": "approved"},
        {"activity_id": outsider["activity_id"], "decision": "approved"},
        {"activity_id": own, "decision": "approved"},
        {"activity_id": mine[2], "decision": "revision_requested", "note": "Lengkapi"},
    ]
    response = await client.post("/v1/activities/decisions", headers=BOSS_T, json=items)
    assert response.status_code == 200, response.text
    results = response.json()
    assert [(r["index"], r["activity_id"], r["status"], r["code"]) for r in results] == [
        (0, mine[0], "accepted", None), (1, mine[1], "accepted", None),
        (2, unknown, "rejected", "unknown_activity"),
        (3, outsider["activity_id"], "rejected", "not_direct_superior"),
        (4, own, "rejected", "self_review"), (5, mine[2], "accepted", None)]
    assert all(r["message"] for r in results if r["status"] == "rejected")
    # each refused item is refused exactly as the single decision is
    for item, result in zip(items, results, strict=True):
        if result["status"] == "rejected":
            alone = await client.post(f"/v1/activities/{item['activity_id']}/decision",
                                      headers=BOSS_T, json={"decision": item["decision"]})
            assert error(alone, alone.status_code) == result["code"]
    assert [e for e, _ in await stream(app, mine[1])] == ["ActivityReported", "ReviewSubmitted"]
    assert len(await stream(app, outsider["activity_id"])) == len(await stream(app, own)) == 1
    assert (await write_model(app, mine[1]))["status"] == "rejected"
    # the approved 20 and the 20 sent back for revision count; the rejected 20 is freed
    assert await day_total(app, STAFF, day) == before + 40


async def test_bulk_items_see_the_items_before_them(app: FastAPI,
                                                    client: httpx.AsyncClient) -> None:
    set_today(app, date(2026, 3, 18))
    activity_id = (await report(client, date(2026, 3, 18), minutes=10))["activity_id"]
    response = await client.post("/v1/activities/decisions", headers=BOSS_T, json=[
        {"activity_id": activity_id, "decision": "revision_requested"},
        {"activity_id": activity_id, "decision": "approved"}])
    assert [r["status"] for r in response.json()] == ["accepted", "accepted"]
    row = await write_model(app, activity_id)
    assert (row["status"], row["version"]) == ("approved", 3)


@pytest.mark.parametrize(("body", "code"), [
    ([], "invalid_request"),
    ([{"activity_id": str(uuid.uuid4()), "decision": "approved"}] * (MAX_BATCH + 1),
     "invalid_request"),
    ([{"activity_id": str(uuid.uuid4()), "decision": "approved", "extra": True}],
     "unknown_field"),
    ([{"activity_id": str(uuid.uuid4()), "decision": "maybe"}], "invalid_request")])
async def test_a_malformed_bulk_is_refused_whole(client: httpx.AsyncClient, body: list[Any],
                                                 code: str) -> None:
    response = await client.post("/v1/activities/decisions", headers=BOSS_T, json=body)
    assert error(response, 422) == code


async def test_the_new_operations_are_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "post" in paths["/v1/activities/{activity_id}/revision"]
    assert "post" in paths["/v1/activities/decisions"]
