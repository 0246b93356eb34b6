"""Appraisal's workflow reads on real PostgreSQL projections (applied with the live code
path), through its HTTP API in-process with a pinned clock: the policy in force for a period,
an employee with their reporting line as of a date, and the running month's pace."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.bootstrap import build_app
from services.appraisal.domain.records import Record
from services.appraisal.projections.eligibility import eligibility
from services.appraisal.service_layer.batches import apply_records
from services.appraisal.settings import AppraisalSettings
from shared.auth import Principal, Role, issue_token
from shared.clock import FixedClock
from shared.db import make_engine
from shared.settings import AuthSettings
from tests.support.history import History, nip, policy_document, wire

pytestmark = pytest.mark.integration

WIB = ZoneInfo("Asia/Jakarta")
TODAY = date(2026, 3, 18)  # a Wednesday: 13 of March's 22 working days have begun
STAFF, OLD_BOSS, NEW_BOSS, STRANGER = 1, 3, 4, 5


def history() -> History:
    """Employee 1 reports to 3, from March to 4; January closed; a second policy after it;
    March: 3,000 approved minutes by the 18th (half the month's target)."""
    h = History()
    for i in (STAFF, OLD_BOSS, NEW_BOSS, STRANGER):
        h.employee(i, structural=i in (OLD_BOSS, NEW_BOSS))
    h.line(STAFF, OLD_BOSS, since=date(2025, 1, 1))
    h.line(STAFF, NEW_BOSS, since=date(2026, 3, 1))
    h.policy("2026.1", "2026-01")
    for day in (date(2026, 1, 5), date(2026, 2, 2)):
        _, activity_id = h.activity(STAFF, day, 300)
        h.decision(STAFF, OLD_BOSS, activity_id, "approved")
    h.close("2026-01")
    h.policy("2026.2", "2026-01")  # governs February on; January stays with 2026.1
    for day in range(2, 12):
        _, activity_id = h.activity(STAFF, date(2026, 3, day), 300)
        h.decision(STAFF, NEW_BOSS, activity_id, "approved")
    return h


def auth(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(hours=12))  # minted at import: outlive any suite run
    return {"Authorization": f"Bearer {token}"}


DASHBOARD = auth("dash", "dashboard")


@pytest.fixture(scope="module")
async def world(create_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[
    dict[str, Any]
]:
    url = await create_database("appraisal")
    engine = make_engine(url)
    records = [Record("events", 0, offset, value, key)
               for offset, (key, value) in enumerate(wire(e) for e in history().envelopes)]
    async with engine.begin() as conn:
        await apply_records(conn, records)
    clock = FixedClock(datetime(2026, 3, 18, 9, tzinfo=WIB))
    app = build_app(AppraisalSettings(database_url=url), consume=False, clock=clock)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://appraisal") as client:
            yield {"client": client, "clock": clock, "engine": engine}
    finally:
        await engine.dispose()


async def get(world: dict[str, Any], path: str, headers: dict[str, str] = DASHBOARD,
              status: int = 200) -> Any:
    response = await world["client"].get(path, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


# -- the policy in force ---------------------------------------------------------------------

async def test_the_policy_in_force_for_a_period(world: dict[str, Any]) -> None:
    march = await get(world, "/v1/periods/2026-03/policy", auth(nip(STAFF), "employee"))
    assert {k: march[k] for k in ("period", "version", "effective_from", "closed",
                                  "close_recorded", "close_date")} == {
        "period": "2026-03", "version": "2026.2", "effective_from": "2026-01",
        "closed": False, "close_recorded": False, "close_date": "2026-04-10"}
    assert march["document"] == policy_document("2026.2", "2026-01")


async def test_a_closed_period_keeps_its_policy(world: dict[str, Any]) -> None:
    january = await get(world, "/v1/periods/2026-01/policy")
    assert (january["version"], january["closed"], january["close_recorded"]) == (
        "2026.1", True, True)
    # February's close day (10 March) has come, though no close is recorded yet
    february = await get(world, "/v1/periods/2026-02/policy")
    assert (february["version"], february["closed"], february["close_recorded"]) == (
        "2026.2", True, False)


async def test_no_policy_and_no_token(world: dict[str, Any]) -> None:
    missing = await get(world, "/v1/periods/2025-12/policy", status=404)
    assert missing["error"]["code"] == "no_policy"
    assert (await get(world, "/v1/periods/2026-13/policy", status=422))["error"]["field"]
    assert (await get(world, "/v1/periods/2026-03/policy", {}, 401))["error"]["code"] == (
        "unauthenticated")


# -- an employee as of a date ------------------------------------------------------------------

async def test_the_reporting_line_as_of_a_date(world: dict[str, Any]) -> None:
    path = f"/v1/employees/{nip(STAFF)}"
    february = await get(world, f"{path}?as_of=2026-02-15")
    assert {k: february[k] for k in ("nip", "name", "unit", "position", "structural",
                                     "employment_type", "job_class", "as_of")} == {
        "nip": nip(STAFF), "name": f"Pegawai {STAFF}", "unit": f"U{STAFF % 7}",
        "position": "Analis", "structural": False, "employment_type": "PNS", "job_class": 7,
        "as_of": "2026-02-15"}
    assert february["reporting_line"] == {
        "superior_nip": nip(OLD_BOSS), "since": "2025-01-01",
        "superior_name": f"Pegawai {OLD_BOSS}", "superior_position": "Analis",
        "superior_unit": f"U{OLD_BOSS % 7}"}
    first_of_march = await get(world, f"{path}?as_of=2026-03-01")
    assert first_of_march["reporting_line"]["superior_nip"] == nip(NEW_BOSS)
    assert first_of_march["reporting_line"]["since"] == "2026-03-01"
    today = await get(world, path)  # as of today by default
    assert (today["as_of"], today["reporting_line"]["superior_nip"]) == (
        TODAY.isoformat(), nip(NEW_BOSS))
    assert (await get(world, f"{path}?as_of=2024-12-31"))["reporting_line"] is None


async def test_who_reads_an_employee(world: dict[str, Any]) -> None:
    path = f"/v1/employees/{nip(STAFF)}"
    await get(world, path, auth(nip(STAFF), "employee"))
    await get(world, path, auth(nip(NEW_BOSS), "superior"))
    refused = await get(world, path, auth(nip(STRANGER), "employee"), status=403)
    assert refused["error"]["code"] == "role_not_allowed"
    # the former superior reads the employee as of a date they led them, not as of today
    await get(world, f"{path}?as_of=2026-02-15", auth(nip(OLD_BOSS), "superior"))
    refused = await get(world, path, auth(nip(OLD_BOSS), "superior"), status=403)
    assert refused["error"]["code"] == "not_direct_superior"
    assert (await get(world, f"/v1/employees/{nip(99)}", status=404))["error"]["code"] == (
        "not_found")
    assert (await get(world, f"{path}?as_of=18-03-2026", status=422))["error"]["field"] == (
        "as_of")


# -- pace ----------------------------------------------------------------------------------------

async def test_the_running_month_shows_its_pace(world: dict[str, Any]) -> None:
    page = await get(world, "/v1/periods/2026-03/eligibility")
    (row,) = [r for r in page["items"] if r["nip"] == nip(STAFF)]
    # the month's own figure: 3,000 of 6,000, unchanged
    assert (row["approved_minutes"], row["results_pct"], row["category"]) == (3000, 50.0,
                                                                             "Buruk")
    assert row["pace"] == {"working_days_elapsed": 13, "working_days_total": 22,
                           "target_to_date": 3545.5, "pct_of_target_to_date": 84.6,
                           "score_at_pace": 84.6, "category_at_pace": "Baik"}
    month = await get(world, f"/v1/employees/{nip(STAFF)}/months/2026-03",
                      auth(nip(STAFF), "employee"))
    assert month["eligibility"]["pace"] == row["pace"]


async def test_pace_moves_with_the_clock_alone(world: dict[str, Any]) -> None:
    async with world["engine"].connect() as conn:
        before = await table_checksums(conn)
    world["clock"].move_to(datetime(2026, 3, 19, 9, tzinfo=WIB))
    try:
        page = await get(world, "/v1/periods/2026-03/eligibility")
    finally:
        world["clock"].move_to(datetime(2026, 3, 18, 9, tzinfo=WIB))
    (row,) = [r for r in page["items"] if r["nip"] == nip(STAFF)]
    assert (row["pace"]["working_days_elapsed"], row["pace"]["target_to_date"]) == (14, 3818.2)
    async with world["engine"].connect() as conn:
        assert await table_checksums(conn) == before  # nothing stored
    assert "pace" not in eligibility.c


async def test_past_and_closed_months_have_no_pace(world: dict[str, Any]) -> None:
    for period in ("2026-01", "2026-02"):
        page = await get(world, f"/v1/periods/{period}/eligibility")
        assert page["items"] and all(r["pace"] is None for r in page["items"]), period
