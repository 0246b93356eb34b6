"""Every write endpoint of intake's OpenAPI document refuses type-confused input.

For each POST/PUT/PATCH/DELETE operation, a valid baseline body is built (and must be
accepted: 2xx, the store grows), and every field of it is replaced in turn by values of the
wrong JSON type (see ``tests/type_confusion.py``), plus one unknown field per object, the
whole body of the wrong type, malformed JSON and a body not sent as JSON. Each must get a
4xx with a stable code and the offending field, and leave the ``events`` table as it was.

A new write endpoint fails ``test_every_write_endpoint_is_walked`` until it gets a baseline
in ``BASELINES`` below.
"""

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.intake.adapters.tables import events
from services.intake.bootstrap import build_app
from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role, issue_token
from shared.periods import period_of
from shared.policy import Policy, default_policy_path, load_policy
from shared.settings import AuthSettings
from tests.type_confusion import Case, cases

pytestmark = pytest.mark.integration

BOSS = "196804111993031009"
STAFF = "199001012015032001"
NEWCOMER = "198505052010011002"
WRITE_METHODS = {"post", "put", "patch", "delete"}
CSV_ENDPOINTS = {("POST", "/v1/employees/import")}
"""Text bodies, walked column by column in ``test_csv_cells_are_parsed_strictly``."""


def auth(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(hours=12))  # minted at import
    return {"Authorization": f"Bearer {token}"}


ADMIN, EMPLOYEE, SUPERIOR = auth("admin", "admin"), auth(STAFF, "employee"), auth(BOSS, "superior")


@dataclass(frozen=True)
class Baseline:
    path: str
    headers: dict[str, str]
    body: Any


Factory = Callable[[httpx.AsyncClient, date], Awaitable[Baseline]]


def new_activity(today: date) -> dict[str, Any]:
    return {"activity_id": str(uuid.uuid4()), "nip": STAFF, "work_date": today.isoformat(),
            "minutes": 60, "description": "Menyusun laporan", "output": "Laporan"}


async def employee(_: httpx.AsyncClient, today: date) -> Baseline:
    return Baseline("/v1/employees", ADMIN, {
        "nip": NEWCOMER, "name": "Pegawai Baru", "unit": "STRICT", "position": "Analis",
        "structural": False, "employment_type": "PNS", "job_class": 7})


async def reporting_line(_: httpx.AsyncClient, today: date) -> Baseline:
    return Baseline("/v1/reporting-lines", ADMIN, {
        "nip": STAFF, "superior_nip": BOSS, "effective_from": "2021-01-01"})


async def activity(_: httpx.AsyncClient, today: date) -> Baseline:
    return Baseline("/v1/activities", EMPLOYEE, new_activity(today))


async def batch(_: httpx.AsyncClient, today: date) -> Baseline:
    return Baseline("/v1/activities/batch", EMPLOYEE, [new_activity(today)])


async def decision(client: httpx.AsyncClient, today: date) -> Baseline:
    pending = new_activity(today)
    reported = await client.post("/v1/activities", headers=EMPLOYEE, json=pending)
    assert reported.status_code == 201, reported.text
    return Baseline(f"/v1/activities/{pending['activity_id']}/decision", SUPERIOR,
                    {"decision": "approved", "note": "Baik"})


async def revision(client: httpx.AsyncClient, today: date) -> Baseline:
    sent_back = new_activity(today)
    reported = await client.post("/v1/activities", headers=EMPLOYEE, json=sent_back)
    assert reported.status_code == 201, reported.text
    decided = await client.post(f"/v1/activities/{sent_back['activity_id']}/decision",
                                headers=SUPERIOR, json={"decision": "revision_requested"})
    assert decided.status_code == 201, decided.text
    return Baseline(f"/v1/activities/{sent_back['activity_id']}/revision", EMPLOYEE, {
        "minutes": 45, "description": "Menyusun laporan, bukti terlampir", "output": "Laporan",
        "work_date": today.isoformat()})


async def decisions(client: httpx.AsyncClient, today: date) -> Baseline:
    pending = new_activity(today)
    reported = await client.post("/v1/activities", headers=EMPLOYEE, json=pending)
    assert reported.status_code == 201, reported.text
    return Baseline("/v1/activities/decisions", SUPERIOR, [
        {"activity_id": pending["activity_id"], "decision": "approved", "note": "Baik"}])


async def review(_: httpx.AsyncClient, today: date) -> Baseline:
    indicators = load_policy(default_policy_path()).indicators  # all: BOSS is structural
    return Baseline("/v1/reviews", EMPLOYEE, {
        "period": period_of(today), "ratee_nip": BOSS, "comment": "Teladan",
        "scores": {indicator.name: 80 for indicator in indicators}})


async def close(_: httpx.AsyncClient, today: date) -> Baseline:
    last_month = period_of(today.replace(day=1) - timedelta(days=1))
    return Baseline(f"/v1/periods/{last_month}/close", ADMIN, {})


async def policy(_: httpx.AsyncClient, today: date) -> Baseline:
    document = Policy(version="strict-walk", effective_from="2090-01").model_dump(mode="json")
    return Baseline("/v1/policies", ADMIN, document)


BASELINES: dict[tuple[str, str], Factory] = {
    ("POST", "/v1/employees"): employee,
    ("POST", "/v1/reporting-lines"): reporting_line,
    ("POST", "/v1/activities"): activity,
    ("POST", "/v1/activities/batch"): batch,
    ("POST", "/v1/activities/{activity_id}/decision"): decision,
    ("POST", "/v1/activities/{activity_id}/revision"): revision,
    ("POST", "/v1/activities/decisions"): decisions,
    ("POST", "/v1/reviews"): review,
    ("POST", "/v1/periods/{period}/close"): close,
    ("POST", "/v1/policies"): policy,
}


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
        for nip, structural in ((BOSS, True), (STAFF, False)):
            response = await client.post("/v1/employees", headers=ADMIN, json={
                "nip": nip, "name": "Pegawai Uji", "unit": "STRICT", "position": "Analis",
                "structural": structural})
            assert response.status_code == 201, response.text
        response = await client.post("/v1/reporting-lines", headers=ADMIN, json={
            "nip": STAFF, "superior_nip": BOSS, "effective_from": "2020-01-01"})
        assert response.status_code == 201, response.text
        yield client


async def stored(app: FastAPI) -> int:
    async with app.state.intake.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(events)))


def write_operations(app: FastAPI) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): operation
            for path, item in app.openapi()["paths"].items()
            for method, operation in item.items() if method in WRITE_METHODS}


async def send(client: httpx.AsyncClient, method: str, base: Baseline, content: bytes,
               content_type: str = "application/json") -> httpx.Response:
    return await client.request(method, base.path, content=content,
                                headers={**base.headers, "Content-Type": content_type})


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()  # NaN and Infinity too, as json.loads reads them


def problem(response: httpx.Response, case: Case, grew: int) -> str | None:
    """What is wrong with the answer to a confused request, or None."""
    if not 400 <= response.status_code < 500:
        return f"answered {response.status_code}"
    if grew:
        return f"stored {grew} event(s)"
    try:
        error = response.json()["error"]
        code, message, field = error["code"], error["message"], error["field"]
    except (ValueError, KeyError, TypeError):
        return f"no error body: {response.text[:200]}"
    wanted = "unknown_field" if case.unknown_field else "invalid_request"
    if code != wanted or not message:
        return f"code {code!r} (wanted {wanted!r}), message {message!r}"
    if case.field and not (field == case.field or str(field).startswith(
            (f"{case.field}.", f"{case.field}["))):
        return f"field {field!r} does not name {case.field!r}: {message}"
    return None


def test_every_write_endpoint_is_walked(app: FastAPI) -> None:
    operations = set(write_operations(app))
    assert len(operations) >= 9, operations
    missing = operations - set(BASELINES) - CSV_ENDPOINTS
    assert not missing, f"write endpoints without a baseline in BASELINES: {sorted(missing)}"


@pytest.mark.parametrize("endpoint", sorted(BASELINES), ids=" ".join)
async def test_type_confused_bodies_are_refused(
        app: FastAPI, client: httpx.AsyncClient, endpoint: tuple[str, str]) -> None:
    method, template = endpoint
    document = app.openapi()
    operation = write_operations(app)[endpoint]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    base = await BASELINES[endpoint](client, app.state.intake.today())
    failures: list[str] = []
    walked = list(cases(schema, base.body, document))
    assert len(walked) >= 5, [c.label for c in walked]
    for case in walked:
        before = await stored(app)
        response = await send(client, method, base, encode(case.body))
        wrong = problem(response, case, await stored(app) - before)
        if wrong:
            failures.append(f"{case.field or 'body'} = {case.label}: {wrong}")
    assert not failures, f"{method} {template}:\n" + "\n".join(failures)

    before = await stored(app)
    malformed = await send(client, method, base, b'{"nip": "1968", ')
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["error"]["code"] == "malformed_json"
    assert "not valid JSON" in malformed.json()["error"]["message"]
    not_json = await send(client, method, base, encode(base.body), "text/plain")
    assert not_json.status_code == 415, not_json.text
    assert not_json.json()["error"]["code"] == "unsupported_media_type"
    assert await stored(app) == before

    accepted = await send(client, method, base, encode(base.body))
    assert 200 <= accepted.status_code < 300, accepted.text
    assert await stored(app) > before, "the baseline stored nothing: the walk proves nothing"


CSV_HEADER = "nip,name,unit,position,structural,employment_type,job_class,superior_nip," \
             "effective_from\n"
CSV_ROW = {"nip": "199203032019031004", "name": "Pegawai Impor", "unit": "STRICT",
           "position": "Analis", "structural": "false", "employment_type": "PNS",
           "job_class": "7", "superior_nip": BOSS, "effective_from": "2026-01-01"}


def csv_with(**changes: str) -> str:
    return CSV_HEADER + ",".join({**CSV_ROW, **changes}.values()) + "\n"


@pytest.mark.parametrize(("column", "text"), [
    ("structural", "yes"), ("structural", "1"), ("structural", "ya"), ("structural", "0"),
    ("job_class", "5.0"), ("job_class", "+5"), ("job_class", "true"), ("job_class", "\u0665"),
    ("job_class", "1e1"), ("job_class", "18"), ("employment_type", "1"),
    ("effective_from", "20260101"), ("effective_from", "1767225600"),
    ("effective_from", "2026-01-01T00:00:00"), ("effective_from", "01/01/2026"),
    ("nip", "1.99203032019031E+17"), ("superior_nip", "1.96804111993031E+17"),
])
async def test_csv_cells_are_parsed_strictly(app: FastAPI, client: httpx.AsyncClient,
                                             column: str, text: str) -> None:
    before = await stored(app)
    response = await client.post("/v1/employees/import", content=csv_with(**{column: text}),
                                 headers={**ADMIN, "Content-Type": "text/csv"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    assert [(row["line"], row["field"]) for row in error["rows"]] == [(2, column)], error
    assert column in error["rows"][0]["message"]
    assert await stored(app) == before


async def test_csv_baseline_is_imported(app: FastAPI, client: httpx.AsyncClient) -> None:
    before = await stored(app)
    response = await client.post("/v1/employees/import",
                                 content=csv_with(structural="TRUE", job_class="07"),
                                 headers={**ADMIN, "Content-Type": "text/csv"})
    assert response.status_code == 201, response.text
    assert await stored(app) == before + 2  # the employee and their reporting line
