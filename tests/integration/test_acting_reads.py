"""Acting superiors on appraisal's read side, on real PostgreSQL projections applied with
the live code path and read through its HTTP API in-process: a decision by a Plh shows who
decided in whose place; the head's own decision shows no one."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.appraisal.bootstrap import build_app
from services.appraisal.domain.records import Record
from services.appraisal.service_layer.batches import apply_records
from services.appraisal.settings import AppraisalSettings
from shared.auth import Principal, issue_token
from shared.clock import FixedClock
from shared.db import make_engine
from shared.settings import AuthSettings
from tests.support.history import History, nip, wire

pytestmark = pytest.mark.integration

HEAD, STAFF, PLH = 3, 1, 2
ACTED, OWN = 0, 1


@pytest.fixture(scope="module")
async def world(create_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[
    tuple[httpx.AsyncClient, list[str]]
]:
    h = History()
    for i in (HEAD, STAFF, PLH):
        h.employee(i, structural=i == HEAD)
    h.line(STAFF, HEAD, since=date(2025, 1, 1))
    h.policy("2026.1", "2026-01")
    h.acting(HEAD, PLH, date(2026, 3, 2), date(2026, 3, 6))
    ids = []
    for day, decider, acting_for in ((2, PLH, HEAD), (9, HEAD, None)):
        _, activity_id = h.activity(STAFF, date(2026, 3, day), 120)
        h.decision(STAFF, decider, activity_id, "approved", acting_for=acting_for)
        ids.append(str(activity_id))
    url = await create_database("appraisal")
    engine = make_engine(url)
    records = [Record("events", 0, offset, value, key)
               for offset, (key, value) in enumerate(wire(e) for e in h.envelopes)]
    async with engine.begin() as conn:
        await apply_records(conn, records)
    clock = FixedClock(datetime(2026, 3, 18, 9, tzinfo=ZoneInfo("Asia/Jakarta")))
    app = build_app(AppraisalSettings(database_url=url), consume=False, clock=clock)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://appraisal") as client:
            yield client, ids
    finally:
        await engine.dispose()


async def read(client: httpx.AsyncClient, activity_id: str) -> dict[str, Any]:
    token = issue_token(AuthSettings(), Principal(nip(STAFF), "employee"),  # type: ignore[call-arg]
                        timedelta(hours=1))
    response = await client.get(f"/v1/activities/{activity_id}",
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_decision_in_the_heads_place_shows_both(
        world: tuple[httpx.AsyncClient, list[str]]) -> None:
    client, ids = world
    acted = await read(client, ids[ACTED])
    assert (acted["status"], acted["superior_nip"], acted["decided_by"], acted["acting_for"]) == (
        "approved", nip(HEAD), nip(PLH), nip(HEAD))
    own = await read(client, ids[OWN])
    assert (own["decided_by"], own["acting_for"]) == (nip(HEAD), None)
