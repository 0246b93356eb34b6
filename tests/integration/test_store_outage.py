"""A database outage seen by a real intake process under HTTP load: its PostgreSQL is
reached through a TCP proxy the test cuts (connections reset, new ones refused) and
restores; the shared server itself is never touched.

During the outage every command gets 503 ``store_unavailable`` with ``Retry-After`` (never
a 500) and health says degraded; afterwards intake serves again without a restart, the
relay publishes everything (store head == checkpoint), every acknowledged command is
stored once and nothing is half-written."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters.relay_lag import read_relay_lag
from services.intake.adapters.tables import employees, events
from shared.auth import Principal, issue_token
from shared.db import make_engine
from shared.settings import AuthSettings
from tests.support.processes import ServiceProcess
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

CreateDb = Callable[[str], Awaitable[str]]
Answers = list[tuple[str, int, httpx.Headers, dict[str, Any]]]


def nip(i: int) -> str:
    """A valid, distinct NIP per i (birth 1990, appointed 2015-03, serial 001-999)."""
    return f"1990{1 + (i // 999) % 12:02d}{1 + (i // 11988) % 28:02d}2015031{1 + i % 999:03d}"


@contextlib.asynccontextmanager
async def intake_process(env: dict[str, str], log: Path) -> AsyncIterator[str]:
    service = ServiceProcess("intake", env, log, ("--no-ingress",))
    service.start()
    try:
        await service.wait_healthy()
        yield service.base
    finally:
        service.stop()


async def register(client: httpx.AsyncClient, answers: Answers, token: str) -> None:
    """Register employees one after another, forever, noting every answer."""
    while True:
        number = nip(len(answers))
        try:
            response = await client.post("/v1/employees", headers={
                "Authorization": f"Bearer {token}"}, json={
                "nip": number, "name": "Pegawai Uji", "unit": "BKPSDM", "position": "Analis",
                "structural": False})
        except httpx.HTTPError as exc:
            raise AssertionError(f"intake did not answer: {exc!r}") from exc
        body = response.json() if response.content else {}
        answers.append((number, response.status_code, response.headers, body))


async def stored(engine: AsyncEngine, nips: list[str]) -> dict[str, tuple[int, int]]:
    """Per NIP: (events in its stream, rows in the write model)."""
    streams = [f"employee-{n}" for n in nips]
    async with engine.connect() as conn:
        counted = dict((await conn.execute(
            select(events.c.stream_id, func.count()).where(events.c.stream_id.in_(streams))
            .group_by(events.c.stream_id))).all())
        rows = set((await conn.scalars(select(employees.c.nip)
                                       .where(employees.c.nip.in_(nips)))).all())
    return {n: (counted.get(f"employee-{n}", 0), int(n in rows)) for n in nips}


async def test_commands_get_503_while_the_store_is_away_and_everything_is_published_after(
        create_database: CreateDb, topic: str, tmp_path: Path) -> None:
    url = await create_database("intake")
    real = make_url(url)
    proxy = await TcpProxy(real.host or "127.0.0.1", real.port or 5432).start()
    proxied = real.set(port=proxy.port).render_as_string(hide_password=False)
    env = {"INTAKE_DATABASE_URL": proxied, "ERK_KAFKA_EVENTS_TOPIC": topic,
           "INTAKE_RELAY_STALL_AFTER_S": "2"}
    token = issue_token(AuthSettings(), Principal("admin", "admin"),  # type: ignore[call-arg]
                        timedelta(hours=1))
    engine = make_engine(url)  # the test's own view, around the proxy
    answers: Answers = []
    try:
        async with intake_process(env, tmp_path / "intake.log") as base, httpx.AsyncClient(
                base_url=base, timeout=30) as client:
            load = asyncio.create_task(register(client, answers, token))

            def count(status: int) -> int:
                if load.done():
                    load.result()
                return sum(1 for _, s, _, _ in answers if s == status)

            await eventually(lambda: count(201) >= 20, timeout=30, what="20 registrations")
            await proxy.cut()
            await eventually(lambda: count(503) >= 10, timeout=30, what="503s in the outage")

            async def degraded() -> dict[str, Any]:
                answer = await client.get("/health")
                body: dict[str, Any] = answer.json()
                return body if answer.status_code == 503 else {}

            health = await eventually(degraded, timeout=30, what="health degraded")
            assert health["status"] == "degraded" and health["postgres"]["status"] == "down"
            await eventually(lambda: relay_down(client), timeout=30,
                             what="the relay reported down")
            accepted_before = count(201)
            await proxy.restore()
            await eventually(lambda: count(201) >= accepted_before + 20, timeout=60,
                             what="registrations accepted again after the outage")
            load.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await load

            async def caught_up() -> bool:
                async with engine.connect() as conn:
                    lag = await read_relay_lag(conn)
                return lag.head > 0 and lag.head == lag.checkpoint

            await eventually(caught_up, timeout=60, interval=0.2, what="relay checkpoint == head")

            async def healthy() -> dict[str, Any]:
                answer = await client.get("/health")
                return answer.json() if answer.status_code == 200 else {}  # type: ignore[no-any-return]

            health = await eventually(healthy, timeout=60, what="health ok after the outage")
            assert health["relay"]["lag_events"] == 0 and health["tasks"]["status"] == "ok"
            assert health["tasks"]["relay"]["restarts"] >= 1
            metrics = (await client.get("/metrics")).text
            assert "erk_relay_lag_events 0.0" in metrics
            assert 'erk_task_restarts_total{task="relay"}' in metrics

        statuses = {status for _, status, _, _ in answers}
        assert statuses == {201, 503}, f"answers other than 201 and 503: {statuses}"
        for _, status, headers, body in answers:
            if status == 503:
                assert body["error"]["code"] == "store_unavailable"
                assert int(headers["retry-after"]) > 0
        found = await stored(engine, [n for n, _, _, _ in answers])
        for number, status, _, _ in answers:
            events_, rows = found[number]
            if status == 201:
                assert (events_, rows) == (1, 1), f"{number} acknowledged: {found[number]}"
            else:  # refused in the outage: nothing, or (a commit whose answer was lost) all
                assert (events_, rows) in {(0, 0), (1, 1)}, f"{number} half-written"
    finally:
        await proxy.close()
        await engine.dispose()


async def relay_down(client: httpx.AsyncClient) -> bool:
    body = (await client.get("/health")).json()
    return bool(body["tasks"].get("relay", {}).get("status") == "down")
