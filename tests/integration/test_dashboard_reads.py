"""The dashboard's chart endpoints on real PostgreSQL projections (applied with the live
code path), through appraisal's HTTP API in-process: minutes by day, the validation
backlog by age, categories per unit and the consumer's lag; dashboard roles only, strict
query parameters, and all of them in the OpenAPI document."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.appraisal.bootstrap import build_app
from services.appraisal.domain.records import Record
from services.appraisal.service_layer.batches import apply_records
from services.appraisal.settings import AppraisalSettings
from shared.auth import Principal, Role, issue_token
from shared.db import make_engine
from shared.settings import AuthSettings
from tests.support.history import History, nip, wire

pytestmark = pytest.mark.integration

STAFF, OTHER, BOSS = 1, 2, 3  # units U1, U2, U3
ENDPOINTS = ("/v1/dashboard/minutes-by-day?period=2026-03", "/v1/dashboard/backlog",
             "/v1/dashboard/categories?period=2026-03", "/v1/dashboard/lag")


def history() -> History:
    """March 2026: staff 1 works the 2nd and 3rd (approved, rejected, one waiting 30 hours),
    staff 2 the 3rd (waiting 10 days)."""
    h = History()
    for i in (STAFF, OTHER, BOSS):
        h.employee(i, structural=i == BOSS)
    h.line(STAFF, BOSS)
    h.line(OTHER, BOSS)
    h.policy("2026.1", "2026-01")
    _, first = h.activity(STAFF, date(2026, 3, 2), 300)
    h.decision(STAFF, BOSS, first, "approved")
    _, second = h.activity(STAFF, date(2026, 3, 3), 60)
    h.decision(STAFF, BOSS, second, "rejected")
    now = datetime.now(UTC)
    for i, minutes, waited in ((STAFF, 45, timedelta(hours=30)), (OTHER, 120, timedelta(days=10))):
        envelope, _ = h.activity(i, date(2026, 3, 3), minutes)
        h.envelopes[-1] = envelope.model_copy(update={"occurred_at": now - waited})
    return h


def auth(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(hours=12))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
async def client(create_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[
    httpx.AsyncClient
]:
    url = await create_database("appraisal")
    engine = make_engine(url)
    records = [Record("events", 0, offset, value, key)
               for offset, (key, value) in enumerate(wire(e) for e in history().envelopes)]
    async with engine.begin() as conn:
        await apply_records(conn, records)
    await engine.dispose()
    app = build_app(AppraisalSettings(database_url=url), consume=False)
    app.state.metrics.observe_lag({0: 4, 1: 0})  # what the consumer does after a batch
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://appraisal",
                                 headers=auth("dash", "dashboard")) as client:
        yield client


async def get(client: httpx.AsyncClient, path: str, status: int = 200, **kwargs: Any) -> Any:
    response = await client.get(path, **kwargs)
    assert response.status_code == status, response.text
    return response.json()


async def test_minutes_by_day_list_every_day_of_the_month(client: httpx.AsyncClient) -> None:
    days = await get(client, "/v1/dashboard/minutes-by-day?period=2026-03")
    assert [d["day"] for d in days] == [f"2026-03-{n:02d}" for n in range(1, 32)]
    zero = {"approved": 0, "pending": 0, "revision_requested": 0, "rejected": 0,
            "not_validated": 0}
    assert days[0] == {"day": "2026-03-01", **zero}
    assert days[1] == {"day": "2026-03-02", **zero, "approved": 300}
    assert days[2] == {"day": "2026-03-03", **zero, "rejected": 60, "pending": 165}
    only_u2 = await get(client, "/v1/dashboard/minutes-by-day?period=2026-03&unit=U2")
    assert only_u2[2] == {"day": "2026-03-03", **zero, "pending": 120}
    assert sum(d["approved"] for d in only_u2) == 0
    february = await get(client, "/v1/dashboard/minutes-by-day?period=2026-02")
    assert len(february) == 28 and not any(d["pending"] for d in february)


async def test_the_backlog_by_age(client: httpx.AsyncClient) -> None:
    buckets = await get(client, "/v1/dashboard/backlog")
    assert [(b["age"], b["from_hours"], b["to_hours"], b["activities"], b["minutes"])
            for b in buckets] == [("under 1 day", 0, 24, 0, 0), ("1-2 days", 24, 48, 1, 45),
                                  ("2-3 days", 48, 72, 0, 0), ("3-7 days", 72, 168, 0, 0),
                                  ("7 days or more", 168, None, 1, 120)]
    of_u1 = await get(client, "/v1/dashboard/backlog?unit=U1")
    assert [b["activities"] for b in of_u1] == [0, 1, 0, 0, 0]


async def test_categories_per_unit(client: httpx.AsyncClient) -> None:
    rows = await get(client, "/v1/dashboard/categories?period=2026-03")
    assert rows == [{"unit": "U1", "categories": {"Buruk": 1}},
                    {"unit": "U2", "categories": {"Buruk": 1}}]
    assert await get(client, "/v1/dashboard/categories?period=2025-01") == []


async def test_the_lag_samples_since_start(client: httpx.AsyncClient) -> None:
    lag = await get(client, "/v1/dashboard/lag")
    assert lag["every_s"] == 5.0
    (sample,) = lag["samples"]
    # partition 0 is behind but nothing was applied on it yet: its seconds are unknown
    assert (sample["positions"], sample["seconds"]) == (4, 0.0)
    assert datetime.fromisoformat(sample["at"]) <= datetime.now(UTC)


async def test_only_dashboard_roles_read_the_charts(client: httpx.AsyncClient) -> None:
    for path in ENDPOINTS:
        refused = await get(client, path, 403, headers=auth(nip(STAFF), "employee"))
        assert refused["error"]["code"] == "role_not_allowed", path
        assert (await get(client, path, 401, headers={"Authorization": ""}))["error"][
            "code"] == "unauthenticated", path
        await get(client, path, headers=auth("audit", "auditor"))


@pytest.mark.parametrize("query, field", [
    ("/v1/dashboard/minutes-by-day", "period"),
    ("/v1/dashboard/minutes-by-day?period=2026-3", "period"),
    ("/v1/dashboard/minutes-by-day?period=2026-13", "period"),
    ("/v1/dashboard/minutes-by-day?period=2026-03&unit=", "unit"),
    ("/v1/dashboard/backlog?unit=", "unit"),
    ("/v1/dashboard/categories?period=March", "period"),
])
async def test_query_parameters_are_strict(client: httpx.AsyncClient, query: str,
                                           field: str) -> None:
    error = (await get(client, query, 422))["error"]
    assert error["field"] == field, error


async def test_the_charts_are_documented(client: httpx.AsyncClient) -> None:
    paths = (await get(client, "/openapi.json"))["paths"]
    for path in ENDPOINTS:
        operation = paths[path.split("?")[0]]["get"]
        assert operation["tags"] == ["dashboard"] and operation["description"], path
        assert "403" in operation["responses"], path
