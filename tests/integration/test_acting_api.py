"""Acting superiors over intake's HTTP API in-process against a fresh PostgreSQL database:
an admin appoints a Plh for the three days before today; within them the Plh validates the
head's subordinate (the stored decision says in whose place), the day after they may not,
and overlapping or self appointments are refused and store nothing."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.intake.adapters.tables import acting_appointments, events
from services.intake.bootstrap import build_app
from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role, issue_token
from shared.periods import period_of
from shared.policy import default_policy_path, load_policy
from shared.settings import AuthSettings

pytestmark = pytest.mark.integration

HEAD, PLH, STAFF = "196804111993031009", "198505052010011002", "199001012015032001"


def auth(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(hours=12))  # minted at import
    return {"Authorization": f"Bearer {token}"}


ADMIN, AS_PLH = auth("admin", "admin"), auth(PLH, "superior")


@pytest.fixture(scope="module")
async def app(create_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[FastAPI]:
    url = await create_database("intake")
    app = build_app(IntakeSettings(database_url=url, policy_file=default_policy_path()),
                    run_relay=False, run_ingress=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        for nip in (HEAD, PLH, STAFF):
            registered = await client.post("/v1/employees", headers=ADMIN, json={
                "nip": nip, "name": "Pegawai Uji", "unit": "ACTING", "position": "Analis",
                "structural": nip == HEAD})
            assert registered.status_code == 201, registered.text
        for nip in (PLH, STAFF):
            line = await client.post("/v1/reporting-lines", headers=ADMIN, json={
                "nip": nip, "superior_nip": HEAD, "effective_from": "2020-01-01"})
            assert line.status_code == 201, line.text
        yield client


def today(app: FastAPI) -> date:
    return app.state.intake.today()  # type: ignore[no-any-return]


def appointment(first: date, last: date, acting_nip: str = PLH) -> dict[str, Any]:
    return {"head_nip": HEAD, "acting_nip": acting_nip, "kind": "Plh",
            "valid_from": first.isoformat(), "valid_to": last.isoformat()}


async def stored(app: FastAPI) -> int:
    async with app.state.intake.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(events)))


async def last_payload(app: FastAPI) -> dict[str, Any]:
    async with app.state.intake.engine.connect() as conn:
        return dict(await conn.scalar(
            select(events.c.payload).order_by(events.c.position.desc()).limit(1)))


async def reported(client: httpx.AsyncClient, day: date) -> str:
    body = {"activity_id": str(uuid.uuid4()), "nip": STAFF, "work_date": day.isoformat(),
            "minutes": 60, "description": "Menyusun laporan"}
    response = await client.post("/v1/activities", headers=auth(STAFF, "employee"), json=body)
    assert response.status_code == 201, response.text
    return body["activity_id"]


def refusal(response: httpx.Response) -> tuple[int, str, str | None]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["field"]


async def test_a_plh_validates_within_the_range_and_not_the_day_after(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    first, last = today(app) - timedelta(days=3), today(app) - timedelta(days=1)
    appointed = await client.post("/v1/acting-appointments", headers=ADMIN,
                                  json=appointment(first, last))
    assert appointed.status_code == 201, appointed.text
    assert (await last_payload(app)) == appointment(first, last)
    async with app.state.intake.engine.connect() as conn:
        rows = (await conn.execute(select(acting_appointments).where(
            acting_appointments.c.valid_from == first))).all()
    assert [tuple(row) for row in rows] == [(HEAD, first, PLH, "Plh", last)]

    inside, after = await reported(client, last), await reported(client, today(app))
    decided = await client.post(f"/v1/activities/{inside}/decision", headers=AS_PLH,
                                json={"decision": "approved"})
    assert decided.status_code == 201, decided.text
    assert (decided.json()["status"], decided.json()["acting_for"]) == ("approved", HEAD)
    review = (await last_payload(app))["review"]
    assert (review["reviewer_nip"], review["acting_for"]) == (PLH, HEAD)

    before = await stored(app)
    refused = await client.post(f"/v1/activities/{after}/decision", headers=AS_PLH,
                                json={"decision": "approved"})
    assert refusal(refused) == (403, "not_direct_superior", None)
    assert await stored(app) == before

    mine = str(uuid.uuid4())  # the Plh is a subordinate too: never their own validator
    plh_report = await client.post("/v1/activities", headers=auth(PLH, "employee"), json={
        "activity_id": mine, "nip": PLH, "work_date": last.isoformat(), "minutes": 30,
        "description": "Rapat"})
    assert plh_report.status_code == 201, plh_report.text
    self_review = await client.post(f"/v1/activities/{mine}/decision", headers=AS_PLH,
                                    json={"decision": "approved"})
    assert refusal(self_review) == (403, "self_review", None)


async def test_overlap_self_appointment_reversed_dates_and_roles_are_refused(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    first = today(app) + timedelta(days=30)
    created = await client.post("/v1/acting-appointments", headers=ADMIN,
                                json=appointment(first, first + timedelta(days=9)))
    assert created.status_code == 201, created.text
    before = await stored(app)
    cases = [
        (ADMIN, appointment(first + timedelta(days=9), first + timedelta(days=20)),
         (409, "acting_overlap", "valid_from")),
        (ADMIN, appointment(first + timedelta(days=40), first + timedelta(days=41), HEAD),
         (422, "self_appointment", "acting_nip")),
        (ADMIN, appointment(first + timedelta(days=41), first + timedelta(days=40)),
         (422, "dates_reversed", "valid_to")),
        (auth(HEAD, "superior"), appointment(first + timedelta(days=50),
                                             first + timedelta(days=51)),
         (403, "role_not_allowed", None)),
    ]
    for headers, body, expected in cases:
        response = await client.post("/v1/acting-appointments", headers=headers, json=body)
        assert refusal(response) == expected, response.text
    assert await stored(app) == before


async def test_a_plh_for_today_rates_the_running_month_as_the_superior(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    """The running month's 360 relations are those of today: a Plh appointed for today
    rates the head's subordinate (their peer) as the superior, in the head's place."""
    day = today(app)
    appointed = await client.post("/v1/acting-appointments", headers=ADMIN,
                                  json=appointment(day, day))
    assert appointed.status_code == 201, appointed.text
    indicators = load_policy(default_policy_path()).indicators_for(structural=False)
    rated = await client.post("/v1/reviews", headers=AS_PLH, json={
        "period": period_of(day), "ratee_nip": STAFF,
        "scores": {indicator.name: 85 for indicator in indicators}})
    assert rated.status_code == 201, rated.text
    assert (rated.json()["relation"], rated.json()["acting_for"]) == ("superior", HEAD)
    review = (await last_payload(app))["review"]
    assert (review["rater_nip"], review["relation"], review["acting_for"]) == (
        PLH, "superior", HEAD)
