"""Fuzz intake's HTTP API from its own OpenAPI document (schemathesis), in-process via ASGI,
on a fresh database with a policy and a small roster.

Every operation gets schema-valid and schema-violating inputs, each sent with a token of
every role. Besides "no 5xx" and the error body ``{"error": {"code", "message"}}`` on every
4xx, schemathesis's acceptance checks run with what each role must get, written out in
``ALLOWED``:

- schema-violating input (negative data) is refused: 400, 415 or 422 (or, for a role the
  operation is not for, 401/403);
- schema-valid input (positive data) from a role the operation is for is accepted, or
  refused only by a domain rule: 2xx, 404 (unknown person or activity), 409 (conflicts
  with the state), 403 or 422 with a rule's code, never ``invalid_request``,
  ``unknown_field`` or ``role_not_allowed`` (the schema promised it was well formed and
  the role may call it);
- schema-valid input from any other role gets 403 ``role_not_allowed``, nothing else.

Two refusals of schema-valid input are excluded, by design, each where ``excluded`` says:
an integral float (``272.0``) where the schema says integer (JSON Schema counts it as an
integer; strict input refuses it, as ``tests/type_confusion.py`` demands), and a policy
that breaks a cross-field rule (weights adding up to 100, descending bands, minimum not
above maximum, the 2022 thresholds ascending, a complete predicate matrix, ...), at its top
level or in its ``predicate`` part, which JSON Schema cannot state. Both are refused as 422
``invalid_request`` while the body is validated, so before the role is looked at.

A new operation fails ``test_every_operation_has_its_roles`` until it gets a row in
``ALLOWED``.
"""

import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    status_code_conformance,
)

from services.intake.bootstrap import build_app
from services.intake.settings import IntakeSettings
from shared.auth import ROLES, Principal, Role, issue_token
from shared.policy import default_policy_path
from shared.settings import AuthSettings

pytestmark = pytest.mark.integration

BOSS = "196804111993031009"
STAFF = "199001012015032001"
EXAMPLES = 25
"""Examples per operation and generation mode, each sent with every role's token."""
SKIP = {("GET", "/health"), ("GET", "/metrics"), ("GET", "/asyncapi"),
        ("GET", "/asyncapi.json"), ("GET", "/asyncapi.yaml")}
"""Health talks to Kafka on every call; it, the metrics and the AsyncAPI documents (public,
the same for everyone, tests/unit/test_asyncapi.py) take no input worth fuzzing."""
REPORTERS: frozenset[Role] = frozenset({"employee", "superior", "eservice"})
ADMIN_ONLY: frozenset[Role] = frozenset({"admin"})
ALLOWED: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/v1/employees"): ADMIN_ONLY,
    ("POST", "/v1/employees/import"): ADMIN_ONLY,
    ("POST", "/v1/reporting-lines"): ADMIN_ONLY,
    ("POST", "/v1/activities"): REPORTERS,
    ("POST", "/v1/activities/batch"): REPORTERS,
    ("POST", "/v1/activities/{activity_id}/decision"): frozenset({"superior"}),
    ("POST", "/v1/activities/decisions"): frozenset({"superior"}),
    ("POST", "/v1/activities/{activity_id}/revision"): REPORTERS,
    ("POST", "/v1/reviews"): frozenset({"employee", "superior"}),
    ("POST", "/v1/periods/{period}/close"): ADMIN_ONLY,
    ("POST", "/v1/policies"): ADMIN_ONLY,
    ("POST", "/v1/acting-appointments"): ADMIN_ONLY,
    ("POST", "/v1/attendance"): frozenset({"eservice"}),
    ("POST", "/v1/attendance/batch"): frozenset({"eservice"}),
    ("POST", "/v1/absence-justifications"): frozenset({"employee", "superior"}),
    ("POST", "/v1/absence-justifications/{justification_id}/decision"):
        frozenset({"superior"}),
    ("PUT", "/v1/employees/{nip}/finance"): ADMIN_ONLY,
    ("POST", "/v1/employees/{nip}/erasure"): ADMIN_ONLY,
    ("POST", "/v1/payments"): frozenset({"treasurer"}),
    ("POST", "/v1/skp"): frozenset({"superior"}),
    ("POST", "/v1/skp/realisations"): frozenset({"employee", "superior"}),
    ("POST", "/v1/skp/realisation-decisions"): frozenset({"superior"}),
    ("POST", "/v1/skp/ratings"): frozenset({"superior"}),
    ("POST", "/v1/skp/organisational-predicates"): ADMIN_ONLY,
    ("POST", "/v1/transfers"): ADMIN_ONLY,
    ("POST", "/v1/processing-restrictions"): ADMIN_ONLY,
    ("POST", "/v1/processing-restrictions/lift"): ADMIN_ONLY,
    ("POST", "/v1/objections"): frozenset({"employee", "superior"}),
    ("POST", "/v1/objections/{period}/{nip}/decision"): frozenset({"superior"}),
}
"""The roles each operation is for (README, "Who may do what"), by hand."""
MAX_PROBLEMS = int(os.environ.get("ERK_FUZZ_MAX_PROBLEMS", "3"))
SHAPE_CODES = {"invalid_request", "unknown_field", "malformed_json", "unsupported_media_type"}


def bearer(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


SUBJECTS: dict[Role, str] = {"employee": STAFF, "superior": BOSS, "eservice": "esamsat",
                             "admin": "admin", "auditor": "auditor", "dashboard": "dashboard",
                             "treasurer": "bendahara"}
TOKENS = {role: bearer(subject, role) for role, subject in SUBJECTS.items()}


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
    """What is wrong with a response whatever the input, or None."""
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


def expected(allowed: bool, mode: GenerationMode) -> list[str]:
    """The statuses schemathesis's acceptance check may see (ALLOWED, module docstring)."""
    if mode is GenerationMode.NEGATIVE:
        return ["400", "415", "422"] + ([] if allowed else ["401", "403"])
    return ["2xx", "403", "404", "409", "422"] if allowed else ["401", "403", "422"]


INTEGRAL_FLOAT = "Input should be a valid integer, got a decimal number"
POLICY_RULE = ": Value error, "
"""A policy's cross-field rule, of the whole policy or of a part (``body.attendance...``:
calendars named, tiers ascending, a shift ending after it starts; ``body.predicate...``)."""


def excluded(case: Any, response: Any) -> bool:
    """A refusal of schema-valid input that is one of the two exclusions (module docstring)."""
    if response.status_code != 422:
        return False
    error = response.json()["error"]
    if error["code"] != "invalid_request":
        return False
    return error["message"].endswith(INTEGRAL_FLOAT) or (
        case.operation.path == "/v1/policies" and POLICY_RULE in error["message"])


def refusal_problem(case: Any, response: Any, allowed: bool, mode: GenerationMode) -> (
    str | None
):
    """What the acceptance check cannot see: which code a refusal of valid data carries."""
    if mode is GenerationMode.NEGATIVE or response.status_code < 400 or excluded(case,
                                                                                 response):
        return None
    code = response.json()["error"]["code"]
    if not allowed and code != "role_not_allowed":
        return f"a role the operation is not for got {response.status_code} {code}"
    if allowed and code in SHAPE_CODES | {"role_not_allowed"}:
        return f"valid input refused {response.status_code} {code}: " \
               f"{response.json()['error']['message'][:200]}"
    return None


def acceptance(case: Any, response: Any, allowed: bool, mode: GenerationMode) -> str | None:
    """Schemathesis's checks, with this role's expected statuses configured explicitly."""
    checks = case.operation.schema.config.checks
    statuses = expected(allowed, mode)
    checks.positive_data_acceptance.expected_statuses = statuses
    checks.negative_data_rejection.expected_statuses = statuses
    try:
        case.validate_response(response, checks=[
            not_a_server_error, status_code_conformance, negative_data_rejection,
            positive_data_acceptance])
    except FailureGroup as failures:
        answer = f"{response.status_code} {response.text[:200]}"
        return "; ".join(f"{f.title}: {f.message}"[:300] for f in failures.exceptions) + \
            f"\n  answered {answer}"
    return None


def fuzz(operation: Any, mode: GenerationMode) -> list[str]:
    """Run one operation's generated cases with every token; up to 3 problems found."""
    found: list[str] = []
    allowed_roles = ALLOWED[(operation.method.upper(), operation.path)]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    # the token is given, so negative data never negates only the header we replace anyway
    @given(case=operation.as_strategy(generation_mode=mode, headers=TOKENS["admin"]))
    def run(case: Any) -> None:
        for role, headers in TOKENS.items():
            response = case.call(headers=headers)
            allowed = role in allowed_roles
            wrong = problem(response) or acceptance(case, response, allowed, mode) \
                or refusal_problem(case, response, allowed, mode)
            if wrong and len(found) < MAX_PROBLEMS:
                found.append(f"{case.method} {case.formatted_path} as {role} ({mode.value}): "
                             f"{wrong}\n  body={case.body!r:.300} query={case.query!r}")

    run()
    return found


def test_every_operation_has_its_roles(app: FastAPI) -> None:
    operations = {(method.upper(), path) for path, item in app.openapi()["paths"].items()
                  for method in item} - SKIP
    assert operations == set(ALLOWED), "give each new operation its roles in ALLOWED"
    assert set(TOKENS) == set(ROLES)


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
