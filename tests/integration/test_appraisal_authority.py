"""Appraisal's reads under the authority model, over HTTP (in-process ASGI) on projections
built by the real consumer path (apply_records) in a fresh PostgreSQL database; and activities
still waiting when their period closes becoming "not validated in time".

The staff member's reporting line moves from BOSS to NEW_BOSS on 16 March, so who may read
what depends on the date the data is about: an activity's work date, a month's last day (or
today while the month runs). The query API's clock is pinned with ERK_CLOCK_AT.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.appraisal.bootstrap import build_app
from services.appraisal.domain.records import Record
from services.appraisal.service_layer.batches import apply_records
from services.appraisal.settings import AppraisalSettings
from shared.auth import Principal, Role, issue_token
from shared.db import make_engine
from shared.settings import AuthSettings
from tests.support.history import History, nip, wire

pytestmark = pytest.mark.integration

BOSS, STAFF, NEW_BOSS, STRANGER = 0, 1, 2, 3
TODAY_AT = "2026-04-05T10:00:00+07:00"


def auth(who: int | str, role: Role) -> dict[str, str]:
    subject = nip(who) if isinstance(who, int) else who
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(minutes=10))
    return {"Authorization": f"Bearer {token}"}


class Scenario:
    def __init__(self) -> None:
        self.history = History()
        h = self.history
        for i in (BOSS, STAFF, NEW_BOSS, STRANGER):
            h.employee(i, structural=i != STAFF)
        h.line(STAFF, BOSS, date(2026, 1, 1))
        h.line(STAFF, NEW_BOSS, date(2026, 3, 16))
        h.policy("2026.1", "2026-01")
        self.feb = self.activity(date(2026, 2, 10))
        self.early = self.activity(date(2026, 3, 10))            # BOSS's to decide
        self.pending = self.activity(date(2026, 3, 20), 60)      # NEW_BOSS's, left waiting
        self.sent_back = self.activity(date(2026, 3, 23), 45)    # sent back, not resubmitted
        self.approved = self.activity(date(2026, 3, 24), 120)
        h.decision(STAFF, NEW_BOSS, self.sent_back, "revision_requested")
        h.decision(STAFF, NEW_BOSS, self.approved, "approved")

    def activity(self, day: date, minutes: int = 90) -> uuid.UUID:
        return self.history.activity(STAFF, day, minutes)[1]

    def records(self, start: int = 0) -> list[Record]:
        return [Record("events", 0, offset, value, key) for offset, (key, value)
                in enumerate((wire(e) for e in self.history.envelopes[start:]), start=start)]


@pytest.fixture(scope="module")
async def scenario(create_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[
    tuple[Scenario, FastAPI, str]
]:
    url = await create_database("appraisal")
    scenario = Scenario()
    await apply(url, scenario.records())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ERK_CLOCK_AT", TODAY_AT)
        app = build_app(AppraisalSettings(database_url=url), consume=False)
    async with app.router.lifespan_context(app):
        yield scenario, app, url


async def apply(url: str, records: list[Record]) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await apply_records(conn, records)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def client(scenario: tuple[Scenario, FastAPI, str]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=scenario[1])
    async with httpx.AsyncClient(transport=transport, base_url="http://appraisal") as client:
        yield client


async def code_of(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> str:
    response = await client.get(path, headers=headers)
    if response.status_code == 200:
        return "ok"
    assert response.status_code == 403, response.text
    return str(response.json()["error"]["code"])


async def test_activity_reads_follow_the_line_on_the_work_date(
        scenario: tuple[Scenario, FastAPI, str], client: httpx.AsyncClient) -> None:
    s = scenario[0]
    early, late = f"/v1/activities/{s.early}", f"/v1/activities/{s.pending}"
    expected = [
        (early, auth(BOSS, "superior"), "ok"),
        (early, auth(NEW_BOSS, "superior"), "not_direct_superior"),  # superior only later
        (late, auth(NEW_BOSS, "superior"), "ok"),
        (late, auth(BOSS, "superior"), "not_direct_superior"),       # no longer
        (early, auth(BOSS, "employee"), "role_not_allowed"),          # the line, not the role
        (early, auth(STAFF, "employee"), "ok"),
        (early, auth(STRANGER, "superior"), "not_direct_superior"),
        # the e-service that reported it (tests.support.history's source) may, others not
        (early, auth("esamsat-test", "eservice"), "ok"),
        (early, auth("esamsat", "eservice"), "not_own_source"),
        (early, auth("bpk", "auditor"), "ok"),
    ]
    assert [await code_of(client, path, headers) for path, headers, _ in expected] == [
        code for _, _, code in expected]


async def test_month_reads_follow_the_line_on_the_months_last_day(
        scenario: tuple[Scenario, FastAPI, str], client: httpx.AsyncClient) -> None:
    month = f"/v1/employees/{nip(STAFF)}/months/"
    expected = [
        (month + "2026-02", auth(BOSS, "superior"), "ok"),
        (month + "2026-02", auth(NEW_BOSS, "superior"), "not_direct_superior"),
        (month + "2026-03", auth(NEW_BOSS, "superior"), "ok"),
        (month + "2026-03", auth(BOSS, "superior"), "not_direct_superior"),
        (month + "2026-04", auth(NEW_BOSS, "superior"), "ok"),  # the running month: today
        (month + "2026-03", auth(NEW_BOSS, "employee"), "role_not_allowed"),
        (month + "2026-03", auth(STAFF, "employee"), "ok"),
        (month + "2026-03", auth("dash", "dashboard"), "ok"),
    ]
    assert [await code_of(client, path, headers) for path, headers, _ in expected] == [
        code for _, _, code in expected]


async def test_the_queue_is_read_by_its_superior_in_the_superior_role(
        scenario: tuple[Scenario, FastAPI, str], client: httpx.AsyncClient) -> None:
    queue = f"/v1/superiors/{nip(NEW_BOSS)}/pending"
    assert await code_of(client, queue, auth(NEW_BOSS, "employee")) == "role_not_allowed"
    assert await code_of(client, queue, auth(BOSS, "superior")) == "not_own_queue"
    assert await code_of(client, queue, auth(STAFF, "employee")) == "role_not_allowed"
    assert await code_of(client, queue, auth("dash", "dashboard")) == "ok"
    assert await code_of(client, "/v1/units/U1/months/2026-03",
                         auth(NEW_BOSS, "superior")) == "role_not_allowed"


async def test_waiting_activities_are_not_validated_in_time_once_the_period_closes(
        scenario: tuple[Scenario, FastAPI, str], client: httpx.AsyncClient) -> None:
    """Runs last in this module: it closes March."""
    s, _, url = scenario
    boss = auth(NEW_BOSS, "superior")
    queue = await client.get(f"/v1/superiors/{nip(NEW_BOSS)}/pending", headers=boss)
    assert [item["activity_id"] for item in queue.json()] == [str(s.pending)]

    start = len(s.history.envelopes)
    close = s.history.close("2026-03").model_copy(update={"actor": "system"})
    s.history.envelopes[-1] = close
    await apply(url, s.records(start))

    queue = await client.get(f"/v1/superiors/{nip(NEW_BOSS)}/pending", headers=boss)
    assert queue.status_code == 200 and queue.json() == []
    statuses = {}
    for activity_id in (s.early, s.pending, s.sent_back, s.approved, s.feb):
        row = (await client.get(f"/v1/activities/{activity_id}", headers=auth(STAFF, "employee")))
        statuses[activity_id] = row.json()
    assert {k: v["status"] for k, v in statuses.items()} == {
        s.early: "not_validated", s.pending: "not_validated", s.sent_back: "not_validated",
        s.approved: "approved", s.feb: "pending"}  # February is not closed
    last = statuses[s.sent_back]["history"][-1]
    assert (last["status"], last["actor"]) == ("not_validated", "system")
    assert [h["status"] for h in statuses[s.sent_back]["history"]] == [
        "pending", "revision_requested", "not_validated"]
    month: dict[str, Any] = (await client.get(
        f"/v1/employees/{nip(STAFF)}/months/2026-03", headers=boss)).json()["minutes"]
    assert (month["pending_minutes"], month["revision_minutes"], month["approved_minutes"],
            month["not_validated_minutes"], month["activities"]) == (0, 0, 120, 90 + 60 + 45, 4)
