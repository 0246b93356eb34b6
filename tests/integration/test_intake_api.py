"""Intake's HTTP API in-process (ASGI) against a fresh PostgreSQL database; no relay."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.tables import events
from services.intake.bootstrap import build_app
from services.intake.domain.nip import parse_nip
from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role, issue_token
from shared.policy import default_policy_path
from shared.settings import AuthSettings

pytestmark = pytest.mark.integration

BOSS = "196804111993031009"
STAFF = "199001012015032001"
OTHER_BOSS = "198505052010011002"



@pytest.fixture(scope="module")
async def app(create_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[FastAPI]:
    url = await create_database("intake")
    settings = IntakeSettings(database_url=url, policy_file=default_policy_path())
    app = build_app(settings, run_relay=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client


def auth(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(hours=12))  # ADMIN is minted at import
    return {"Authorization": f"Bearer {token}"}


ADMIN = auth("admin", "admin")


def engine_of(app: FastAPI) -> AsyncEngine:
    return app.state.intake.engine  # type: ignore[no-any-return]


def today(app: FastAPI) -> date:
    return app.state.intake.today()  # type: ignore[no-any-return]


async def count_events(app: FastAPI, stream_id: str) -> int:
    async with engine_of(app).connect() as conn:
        return int(await conn.scalar(select(func.count()).where(events.c.stream_id == stream_id)))


def activity(app: FastAPI, **changes: Any) -> dict[str, Any]:
    body = {"activity_id": str(uuid.uuid4()), "nip": STAFF, "work_date": today(app).isoformat(),
            "minutes": 90, "description": "Menyusun laporan kinerja"}
    return {**body, **changes}


@pytest.fixture(scope="module")
async def roster(app: FastAPI, client: httpx.AsyncClient) -> None:
    for nip in (BOSS, STAFF, OTHER_BOSS):
        parse_nip(nip, today=today(app))  # the fixtures themselves are valid NIPs
    people = [(BOSS, "Budi Santoso", True), (STAFF, "Siti Aminah", False),
              (OTHER_BOSS, "Agus Salim", True)]
    for nip, name, structural in people:
        response = await client.post("/v1/employees", headers=ADMIN, json={
            "nip": nip, "name": name, "unit": "BKPSDM", "position": "Analis",
            "structural": structural})
        assert response.status_code == 201, response.text
        assert response.json()["nip"] == nip
    response = await client.post("/v1/reporting-lines", headers=ADMIN, json={
        "nip": STAFF, "superior_nip": BOSS, "effective_from": "2020-01-01"})
    assert response.status_code == 201, response.text
    assert await count_events(app, f"employee-{STAFF}") == 2


async def test_policy_published_on_start(app: FastAPI) -> None:
    assert await count_events(app, "policy") == 1


async def test_report_activity_and_retry(app: FastAPI, client: httpx.AsyncClient,
                                         roster: None) -> None:
    body = activity(app)
    first = await client.post("/v1/activities", headers=auth(STAFF, "employee"), json=body)
    assert first.status_code == 201, first.text
    assert first.json()["activity_id"] == body["activity_id"]
    assert first.json()["status"] == "accepted"

    retry = await client.post("/v1/activities", headers=auth(STAFF, "employee"), json=body)
    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert await count_events(app, f"activity-{body['activity_id']}") == 1

    # the same id for a different activity is a conflict, not a retry
    other = await client.post("/v1/activities", headers=auth(STAFF, "employee"),
                              json={**body, "minutes": 30})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "duplicate_activity"
    assert await count_events(app, f"activity-{body['activity_id']}") == 1


async def test_unauthenticated(app: FastAPI, client: httpx.AsyncClient, roster: None) -> None:
    response = await client.post("/v1/activities", json=activity(app))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"

    bad = await client.post("/v1/activities", json=activity(app),
                            headers={"Authorization": "Bearer not.a.token"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "invalid_token"

    expired_token = issue_token(AuthSettings(), Principal(STAFF, "employee"),  # type: ignore[call-arg]
                                timedelta(seconds=-5))
    expired = await client.post("/v1/activities", json=activity(app),
                                headers={"Authorization": f"Bearer {expired_token}"})
    assert expired.status_code == 401


async def test_wrong_role(app: FastAPI, client: httpx.AsyncClient, roster: None) -> None:
    response = await client.post("/v1/activities", headers=auth(STAFF, "dashboard"),
                                 json=activity(app))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "role_not_allowed"

    response = await client.post("/v1/employees", headers=auth(BOSS, "superior"), json={
        "nip": STAFF, "name": "X", "unit": "U", "position": "P"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "role_not_allowed"

    someone_else = await client.post("/v1/activities", headers=auth(BOSS, "superior"),
                                     json=activity(app))
    assert someone_else.status_code == 403
    assert someone_else.json()["error"]["code"] == "not_own_activity"


async def test_the_role_is_checked_before_retries_and_policies(
        app: FastAPI, client: httpx.AsyncClient, roster: None) -> None:
    """A role that may not report learns nothing: not the answer to someone's earlier report
    (a retry's answer), not that no policy governs a month; a batch is refused whole."""
    body = activity(app)
    first = await client.post("/v1/activities", headers=auth(STAFF, "employee"), json=body)
    assert first.status_code == 201, first.text
    for role in ("admin", "auditor", "dashboard"):
        for sent in (body, activity(app, work_date="2000-01-03")):  # no policy in 2000
            response = await client.post("/v1/activities", headers=auth(STAFF, role),
                                         json=sent)
            assert (response.status_code, response.json()["error"]["code"]) == (
                403, "role_not_allowed"), response.text
        batch = await client.post("/v1/activities/batch", headers=auth(STAFF, role),
                                  json=[activity(app)])
        assert (batch.status_code, batch.json()["error"]["code"]) == (
            403, "role_not_allowed"), batch.text
    review = await client.post("/v1/reviews", headers=auth(BOSS, "eservice"), json={
        "period": "2000-01", "ratee_nip": STAFF, "scores": {"integritas": 80}})
    assert (review.status_code, review.json()["error"]["code"]) == (403, "role_not_allowed")
    bulk = await client.post("/v1/activities/decisions", headers=auth(BOSS, "employee"),
                             json=[{"activity_id": body["activity_id"], "decision": "approved"}])
    assert (bulk.status_code, bulk.json()["error"]["code"]) == (403, "role_not_allowed")


@pytest.mark.parametrize(
    ("minutes", "code"),
    [(0, "invalid_request"), (1441, "invalid_request"), ("lots", "invalid_request"),
     (481, "minutes_out_of_bounds")],
)
async def test_bad_minutes(app: FastAPI, client: httpx.AsyncClient, roster: None,
                           minutes: Any, code: str) -> None:
    body = activity(app, minutes=minutes)
    response = await client.post("/v1/activities", headers=auth(STAFF, "employee"), json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, "minutes")
    assert "minutes" in error["message"]
    assert await count_events(app, f"activity-{body['activity_id']}") == 0


async def test_unknown_employee(app: FastAPI, client: httpx.AsyncClient, roster: None) -> None:
    nip = "198001012005011001"
    response = await client.post("/v1/activities", headers=auth(nip, "employee"),
                                 json=activity(app, nip=nip))
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "unknown_employee", "field": "nip",
                                        "message": "nip: no employee with this NIP"}


async def test_invalid_nip_on_register(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/employees", headers=ADMIN, json={
        "nip": "199013012015032001", "name": "X", "unit": "U", "position": "P"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_nip"
    assert response.json()["error"]["field"] == "nip"


async def test_validation_by_superior_only(app: FastAPI, client: httpx.AsyncClient,
                                           roster: None) -> None:
    body = activity(app, minutes=45)
    reported = await client.post("/v1/activities", headers=auth(STAFF, "employee"), json=body)
    assert reported.status_code == 201, reported.text
    path = f"/v1/activities/{body['activity_id']}/decision"

    stranger = await client.post(path, headers=auth(OTHER_BOSS, "superior"),
                                 json={"decision": "approved"})
    assert stranger.status_code == 403
    assert stranger.json()["error"]["code"] == "not_direct_superior"

    # validation takes the superior role: an employee-role token is refused before any
    # line is looked at, even its owner's own (issue 8 changed this from self_review)
    own = await client.post(path, headers=auth(STAFF, "employee"), json={"decision": "approved"})
    assert own.status_code == 403
    assert own.json()["error"]["code"] == "role_not_allowed"
    own_as_superior = await client.post(path, headers=auth(STAFF, "superior"),
                                        json={"decision": "approved"})
    assert own_as_superior.status_code == 403
    assert own_as_superior.json()["error"]["code"] == "self_review"
    # the direct superior with an employee-role token may not validate either
    boss_as_employee = await client.post(path, headers=auth(BOSS, "employee"),
                                         json={"decision": "approved"})
    assert boss_as_employee.status_code == 403
    assert boss_as_employee.json()["error"]["code"] == "role_not_allowed"
    for decision in ("rejected", "revision_requested"):
        refused = await client.post(path, headers=auth(BOSS, "employee"),
                                    json={"decision": decision})
        assert refused.json()["error"]["code"] == "role_not_allowed", decision
    assert await count_events(app, f"activity-{body['activity_id']}") == 1

    decided = await client.post(path, headers=auth(BOSS, "superior"),
                                json={"decision": "approved", "note": "OK"})
    assert decided.status_code == 201, decided.text
    assert decided.json()["status"] == "approved"
    assert await count_events(app, f"activity-{body['activity_id']}") == 2

    unknown = await client.post(f"/v1/activities/{uuid.uuid4()}/decision",
                                headers=auth(BOSS, "superior"), json={"decision": "approved"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_activity"


async def test_batch_accepts_and_rejects_items_alone(app: FastAPI, client: httpx.AsyncClient,
                                                     roster: None) -> None:
    day = (today(app) - timedelta(days=1)).isoformat()
    good, too_long = activity(app, work_date=day), activity(app, work_date=day, minutes=481)
    response = await client.post("/v1/activities/batch", headers=auth(STAFF, "employee"),
                                 json=[good, too_long])
    assert response.status_code == 200, response.text
    items = response.json()
    assert [i["status"] for i in items] == ["accepted", "rejected"]
    assert items[1]["code"] == "minutes_out_of_bounds"
    assert await count_events(app, f"activity-{good['activity_id']}") == 1
    assert await count_events(app, f"activity-{too_long['activity_id']}") == 0


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200, response.text
    assert response.json()["postgres"]["status"] == "ok"


async def test_day_total_counts_across_requests_and_frees_rejected_minutes(
        app: FastAPI, client: httpx.AsyncClient, roster: None) -> None:
    staff, boss = auth(STAFF, "employee"), auth(BOSS, "superior")
    day = (today(app) - timedelta(days=2)).isoformat()  # a day no other test uses
    long = activity(app, work_date=day, minutes=480)
    assert (await client.post("/v1/activities", headers=staff, json=long)).status_code == 201
    refused = await client.post("/v1/activities", headers=staff,
                                json=activity(app, work_date=day, minutes=300))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "day_total_implausible"

    rejected = await client.post(f"/v1/activities/{long['activity_id']}/decision", headers=boss,
                                 json={"decision": "rejected", "note": "bukan kegiatan kerja"})
    assert rejected.status_code == 201, rejected.text
    accepted = await client.post("/v1/activities", headers=staff,
                                 json=activity(app, work_date=day, minutes=300))
    assert accepted.status_code == 201, accepted.text

    # within one batch the running total includes the items before: 300 + 240 + 240 > 720
    batch = [activity(app, work_date=day, minutes=240) for _ in range(2)]
    results = (await client.post("/v1/activities/batch", headers=staff, json=batch)).json()
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert results[1]["code"] == "day_total_implausible"


def review_body(app: FastAPI, ratee: str) -> dict[str, Any]:
    indicators = ["integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama"]
    return {"period": f"{today(app):%Y-%m}", "ratee_nip": ratee,
            "scores": dict.fromkeys(indicators, 80)}


async def test_rating_a_subordinate_takes_the_superior_role(
        app: FastAPI, client: httpx.AsyncClient, roster: None) -> None:
    stream = f"review-{today(app):%Y-%m}-{BOSS}-{STAFF}"
    as_employee = await client.post("/v1/reviews", headers=auth(BOSS, "employee"),
                                    json=review_body(app, STAFF))
    assert as_employee.status_code == 403, as_employee.text
    assert as_employee.json()["error"]["code"] == "role_not_allowed"
    assert await count_events(app, stream) == 0

    stranger = await client.post("/v1/reviews", headers=auth(OTHER_BOSS, "superior"),
                                 json=review_body(app, STAFF))
    assert stranger.status_code == 403
    assert stranger.json()["error"]["code"] == "not_related"

    as_superior = await client.post("/v1/reviews", headers=auth(BOSS, "superior"),
                                    json=review_body(app, STAFF))
    assert as_superior.status_code == 201, as_superior.text
    assert as_superior.json()["relation"] == "superior"
    assert await count_events(app, stream) == 1


async def test_rating_ones_superior_takes_only_the_employee_role(
        app: FastAPI, client: httpx.AsyncClient, roster: None) -> None:
    body = review_body(app, BOSS)
    body["scores"]["kepemimpinan"] = 75  # the head is structural
    answer = await client.post("/v1/reviews", headers=auth(STAFF, "employee"), json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["relation"] == "subordinate"


async def test_a_review_for_a_future_period_is_refused(
        app: FastAPI, client: httpx.AsyncClient, roster: None) -> None:
    next_month = (today(app).replace(day=28) + timedelta(days=7)).strftime("%Y-%m")
    body = {**review_body(app, STAFF), "period": next_month}
    answer = await client.post("/v1/reviews", headers=auth(BOSS, "superior"), json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "period_in_future"
    assert answer.json()["error"]["field"] == "period"
    assert await count_events(app, f"review-{next_month}-{BOSS}-{STAFF}") == 0
