"""Sign-on as agencies do it: a real OpenID provider (oidc-provider, started by
deploy/oidc/provider) issues the tokens, and both services (in-process, on fresh databases)
accept them beside the local HS256 ones: an e-service by client credentials, over HTTP and
the Kafka ingress, and persons who walked the provider's login (authorization code, PKCE)."""

import json
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.appraisal.bootstrap import build_app as build_appraisal
from services.appraisal.settings import AppraisalSettings
from services.intake.adapters.tables import events
from services.intake.bootstrap import build_app as build_intake
from services.intake.settings import IntakeSettings
from shared.auth import Principal, issue_token
from shared.kafka import raw_producer
from shared.policy import default_policy_path
from shared.settings import AuthSettings
from tests.e2e.support import KAFKA, eventually
from tests.support.oidc_provider import (
    Client,
    Provider,
    environment,
    oidc_environment,
    serving,
    start_provider,
)

pytestmark = pytest.mark.integration

BOSS = "196804111993031009"
STAFF = "199001012015032001"
ESAMSAT = Client("esamsat", secrets.token_urlsafe(24))
ESAMSAT_EC = Client("esamsat-ec", secrets.token_urlsafe(24))  # signed ES256
APP = Client("erk-app", secrets.token_urlsafe(24))  # the persons' app
DASHBOARD = Client("erk-dashboard", None, "http://127.0.0.1:8002/dashboard")
ADMIN = {"Authorization": "Bearer " + issue_token(  # a local token, beside the provider's
    AuthSettings(), Principal("admin", "admin"), timedelta(hours=12))}  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    provider = start_provider(
        tmp_path_factory.mktemp("oidc"), [ESAMSAT, ESAMSAT_EC, APP, DASHBOARD],
        accounts={STAFF: ["erk-employee"], BOSS: ["erk-employee", "erk-superior"],
                  "dasbor": ["erk-dashboard"], "tamu": ["offline_access"]},
        roles={ESAMSAT.client_id: ["erk-eservice"], ESAMSAT_EC.client_id: ["erk-eservice"]},
        algs={ESAMSAT_EC.client_id: "ES256"})
    try:
        yield provider
    finally:
        provider.stop()


@dataclass
class Intake:
    http: httpx.AsyncClient
    app: FastAPI

    def activity(self, nip: str = STAFF) -> dict[str, Any]:
        today = self.app.state.intake.today()
        return {"activity_id": str(uuid.uuid4()), "nip": nip, "work_date": today.isoformat(),
                "minutes": 60, "description": "Pelayanan pajak kendaraan"}

    async def source_of(self, activity_id: str) -> str:
        async with self.app.state.intake.engine.connect() as conn:
            return str(await conn.scalar(select(events.c.source).where(
                events.c.stream_id == f"activity-{activity_id}")))


async def roster(intake: httpx.AsyncClient) -> None:
    for nip, structural in ((BOSS, True), (STAFF, False)):
        response = await intake.post("/v1/employees", headers=ADMIN, json={
            "nip": nip, "name": "Pegawai", "unit": "SAMSAT-01", "position": "Analis",
            "structural": structural})
        assert response.status_code == 201, response.text
    response = await intake.post("/v1/reporting-lines", headers=ADMIN, json={
        "nip": STAFF, "superior_nip": BOSS, "effective_from": "2020-01-01"})
    assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
async def intake(create_database: Callable[..., Awaitable[str]],
                 provider: Provider) -> AsyncIterator[Intake]:
    settings = IntakeSettings(database_url=await create_database("intake"),
                              policy_file=default_policy_path())
    with environment(oidc_environment(provider.issuer)):
        app = build_intake(settings, run_relay=False, run_ingress=False)
    async with serving(app, "http://intake") as client:
        await roster(client)
        yield Intake(client, app)


@pytest.fixture(scope="module")
async def appraisal(create_database: Callable[..., Awaitable[str]],
                    provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    settings = AppraisalSettings(database_url=await create_database("appraisal"))
    with environment(oidc_environment(provider.issuer, dashboard_client_id=DASHBOARD.client_id)):
        app = build_appraisal(settings, consume=False)
    async with serving(app, "http://appraisal") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("client", [ESAMSAT, ESAMSAT_EC], ids=["RS256", "ES256"])
async def test_an_eservice_reports_with_a_client_credentials_token(
        provider: Provider, intake: Intake, appraisal: httpx.AsyncClient,
        client: Client) -> None:
    token = provider.client_credentials(client)
    body = intake.activity()
    reported = await intake.http.post("/v1/activities", headers=bearer(token), json=body)
    assert reported.status_code == 201, reported.text
    assert await intake.source_of(body["activity_id"]) == client.client_id
    # appraisal knows the token too: the activity is not projected here, so "not yet"
    read = await appraisal.get(f"/v1/activities/{body['activity_id']}", headers=bearer(token))
    assert read.status_code == 404, read.text
    assert read.json()["error"]["message"].startswith("no such activity")


async def test_persons_sign_in_and_get_their_role(
        provider: Provider, intake: Intake, appraisal: httpx.AsyncClient) -> None:
    staff = provider.log_in(APP, STAFF)
    body = intake.activity()
    reported = await intake.http.post("/v1/activities", headers=bearer(staff), json=body)
    assert reported.status_code == 201, reported.text
    assert await intake.source_of(body["activity_id"]) == "app"
    period = body["work_date"][:7]
    own = await appraisal.get(f"/v1/employees/{STAFF}/months/{period}", headers=bearer(staff))
    assert own.status_code == 200, own.text
    others = await appraisal.get(f"/v1/employees/{BOSS}/months/{period}", headers=bearer(staff))
    assert others.status_code == 403  # the person is an employee, not BOSS's superior

    boss = provider.log_in(APP, BOSS)  # holds erk-employee and erk-superior: superior wins
    queue = await appraisal.get(f"/v1/superiors/{BOSS}/pending", headers=bearer(boss))
    assert queue.status_code == 200, queue.text
    decided = await intake.http.post(f"/v1/activities/{body['activity_id']}/decision",
                                headers=bearer(boss), json={"decision": "approved"})
    assert decided.status_code == 201, decided.text

    dashboard = provider.log_in(DASHBOARD, "dasbor")  # the public client, PKCE only
    page = await appraisal.get(f"/v1/periods/{period}/eligibility", headers=bearer(dashboard))
    assert page.status_code == 200, page.text


async def test_a_token_without_a_role_of_ours_is_refused(
        provider: Provider, appraisal: httpx.AsyncClient) -> None:
    guest = provider.log_in(APP, "tamu")
    response = await appraisal.get("/v1/dashboard/periods", headers=bearer(guest))
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "invalid_token", "field": None,
        "message": "the token's 'realm_access.roles' claim names no role of ours"}


async def test_the_dashboard_learns_where_to_sign_in(
        provider: Provider, appraisal: httpx.AsyncClient) -> None:
    config = (await appraisal.get("/dashboard/sign-on.json")).json()
    assert config == {"enabled": True, "issuer": provider.issuer,
                      "authorization_endpoint": f"{provider.issuer}/auth",
                      "token_endpoint": f"{provider.issuer}/token",
                      "client_id": DASHBOARD.client_id, "scope": "openid"}
    script = await appraisal.get("/dashboard/sign-on.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "code_challenge_method" in script.text
    page = (await appraisal.get("/dashboard")).text
    assert '<script src="/dashboard/sign-on.js"></script>' in page
    assert '<button id="sign-in" hidden>' in page


async def test_without_a_provider_the_dashboard_takes_a_pasted_token(
        create_database: Callable[..., Awaitable[str]]) -> None:
    app = build_appraisal(AppraisalSettings(database_url=await create_database("appraisal")),
                          consume=False)
    async with serving(app, "http://appraisal") as client:
        assert (await client.get("/dashboard/sign-on.json")).json() == {"enabled": False}


async def test_an_eservice_token_on_the_kafka_ingress(
        provider: Provider, create_database: Callable[..., Awaitable[str]],
        create_topic: Callable[..., Awaitable[str]]) -> None:
    settings = IntakeSettings(database_url=await create_database("intake"),
                              policy_file=default_policy_path(),
                              ingress_group=f"erk-test-ingress-{uuid.uuid4().hex[:8]}")
    topics = {"ERK_KAFKA_INGRESS_TOPIC": await create_topic("ingress", 1),
              "ERK_KAFKA_REJECTED_TOPIC": await create_topic("rejected", 1),
              "ERK_KAFKA_OUTCOMES_TOPIC": await create_topic("outcomes", 1),
              "ERK_KAFKA_BOOTSTRAP": KAFKA.bootstrap}
    with environment({**oidc_environment(provider.issuer), **topics}):
        app = build_intake(settings, run_relay=False, run_ingress=True)
    async with serving(app, "http://intake") as client:
        await roster(client)
        ingress = Intake(client, app)
        body = ingress.activity()
        producer = raw_producer(KAFKA)
        await producer.start()
        try:
            await producer.send_and_wait(
                topics["ERK_KAFKA_INGRESS_TOPIC"], json.dumps(body).encode(), key=STAFF.encode(),
                headers=[("authorization",
                          f"Bearer {provider.client_credentials(ESAMSAT)}".encode())])
        finally:
            await producer.stop()

        async def stored() -> None:
            assert await ingress.source_of(body["activity_id"]) == ESAMSAT.client_id

        await eventually(stored, within=30)
