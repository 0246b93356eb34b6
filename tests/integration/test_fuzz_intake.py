"""Fuzz intake's HTTP API from its own OpenAPI document (schemathesis), in-process via ASGI,
on a fresh database with a policy and a small roster.

Every operation gets schema-valid and schema-violating inputs, each sent with an admin
token and with an employee token. No input may produce a 5xx, and every 4xx must carry
the error body ``{"error": {"code": ..., "message": ...}}``.
"""

import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.python import asgi

from services.intake.bootstrap import build_app
from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role, issue_token
from shared.policy import default_policy_path
from shared.settings import AuthSettings

pytestmark = pytest.mark.integration

BOSS = "196804111993031009"
STAFF = "199001012015032001"
EXAMPLES = 40
"""Examples per operation, generation mode and token: ~2,000 requests, well under a minute."""
SKIP = {("GET", "/health")}
"""Health talks to Kafka on every call; it takes no input worth fuzzing."""


def bearer(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


TOKENS = {"admin": bearer("admin", "admin"), "employee": bearer(STAFF, "employee")}


@pytest.fixture(scope="module")
async def database(create_database: Callable[[str], Awaitable[str]]) -> str:
    return await create_database("intake")


@pytest.fixture(scope="module")
def app(database: str) -> Iterator[FastAPI]:
    """The app, run by schemathesis' own ASGI event loop (lifespan included)."""
    settings = IntakeSettings(database_url=database, policy_file=default_policy_path(),
                              ingress_group=f"erk-test-fuzz-{uuid.uuid4().hex[:8]}")
    app = build_app(settings, run_relay=False, run_ingress=False)
    with asgi.get_client(app) as client:  # a boss and a staff member, so some cases go deep
        admin = TOKENS["admin"]
        for nip, structural in ((BOSS, True), (STAFF, False)):
            response = client.post("/v1/employees", headers=admin, json={
                "nip": nip, "name": "Pegawai Uji", "unit": "FUZZ", "position": "Staf",
                "structural": structural})
            assert response.status_code == 201, response.text
        response = client.post("/v1/reporting-lines", headers=admin, json={
            "nip": STAFF, "superior_nip": BOSS, "effective_from": "2020-01-01"})
        assert response.status_code == 201, response.text
    yield app
    asgi.shutdown_lifespans()


def problem(response: Any) -> str | None:
    """What is wrong with a response, or None."""
    if response.status_code >= 500:
        return f"server error {response.status_code}: {response.text[:300]}"
    if 400 <= response.status_code < 500:
        try:
            error = response.json()["error"]
            assert isinstance(error["code"], str) and error["code"]
            assert isinstance(error["message"], str) and error["message"]
        except (ValueError, KeyError, TypeError, AssertionError):
            return f"{response.status_code} without an error body: {response.text[:300]}"
    return None


def fuzz(operation: Any, mode: GenerationMode) -> list[str]:
    """Run one operation's generated cases with every token; up to 3 problems found."""
    found: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        for who, headers in TOKENS.items():
            wrong = problem(case.call(headers=headers))
            if wrong and len(found) < 3:
                found.append(f"{case.method} {case.formatted_path} as {who} ({mode.value}): "
                             f"{wrong}\n  body={case.body!r:.300} query={case.query!r}")

    run()
    return found


def test_no_input_breaks_intake(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    problems: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            problems += fuzz(operation, mode)
    assert operations >= 8, f"only {operations} operations in the OpenAPI document"
    assert not problems, "\n".join(problems)
