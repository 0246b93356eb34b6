"""A projection-database outage seen by a real appraisal process: its PostgreSQL is reached
through a TCP proxy the test cuts and restores (the shared server is never touched).

During the outage reads get 503 ``projections_unavailable`` with ``Retry-After``, health
says degraded with the consumer stalled and its lag, and the metrics show the lag growing;
afterwards the consumer catches up by itself and the projections equal an uninterrupted
run over the same records."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from test_crash_recovery import apply_uninterrupted, end_offsets, produce

from services.appraisal.adapters.checksum import table_checksums
from shared.auth import Principal, issue_token
from shared.db import make_engine
from shared.settings import AuthSettings
from tests.support.history import History, organisation_history
from tests.support.processes import ServiceProcess
from tests.support.recount import projected, recount
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

CreateDb = Callable[..., Awaitable[str]]
CreateTopic = Callable[..., Awaitable[str]]


@contextlib.asynccontextmanager
async def appraisal_process(env: dict[str, str], log: Path) -> AsyncIterator[httpx.AsyncClient]:
    service = ServiceProcess("appraisal", env, log)
    service.start()
    try:
        await service.wait_healthy()
        async with httpx.AsyncClient(base_url=service.base, timeout=10) as client:
            yield client
    finally:
        service.stop()


async def health(client: httpx.AsyncClient, status: int) -> dict[str, Any]:
    answer = await client.get("/health")
    return answer.json() if answer.status_code == status else {}  # type: ignore[no-any-return]


def metric(text: str, name: str) -> float:
    """The sum of a metric's samples in Prometheus text."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") or line.startswith(name + " "))


async def test_reads_get_503_while_the_projections_are_away_and_the_consumer_catches_up(
        create_database: CreateDb, create_topic: CreateTopic, tmp_path: Path) -> None:
    topic, dlq = await create_topic("events", 3), await create_topic("dlq", 1)
    url, reference_url = await create_database("appraisal"), await create_database("appraisal")
    real = make_url(url)
    proxy = await TcpProxy(real.host or "127.0.0.1", real.port or 5432).start()
    env = {"APPRAISAL_DATABASE_URL": real.set(port=proxy.port).render_as_string(
               hide_password=False),
           "ERK_KAFKA_EVENTS_TOPIC": topic, "ERK_KAFKA_DLQ_TOPIC": dlq,
           "APPRAISAL_CONSUMER_GROUP": f"outage-{topic}", "APPRAISAL_CONSUMER_STALL_AFTER_S": "2"}
    history = organisation_history(3000)
    half = len(history.envelopes) // 2
    token = issue_token(AuthSettings(), Principal("dash", "dashboard"),  # type: ignore[call-arg]
                        timedelta(hours=1))
    read = ("/v1/periods/2026-01/eligibility?limit=3", {"Authorization": f"Bearer {token}"})
    live, reference = make_engine(url), make_engine(reference_url)
    try:
        async with appraisal_process(env, tmp_path / "appraisal.log") as client:
            await produce(topic, History(envelopes=history.envelopes[:half]), [])

            async def caught_up() -> dict[str, Any]:
                body = await health(client, 200)
                return body if body and body["consumer"]["lag_positions"] == 0 and metric(
                    (await client.get("/metrics")).text, "erk_events_applied_total") else {}

            await eventually(caught_up, timeout=60, interval=0.2, what="first half applied")
            assert (await client.get(read[0], headers=read[1])).status_code == 200

            await proxy.cut()
            refused = await client.get(read[0], headers=read[1])
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "projections_unavailable"
            assert int(refused.headers["retry-after"]) > 0
            await produce(topic, History(envelopes=history.envelopes[half:]), [])

            async def stalled() -> dict[str, Any]:
                body = await health(client, 503)
                return body if body and body["consumer"]["status"] == "stalled" else {}

            during = await eventually(stalled, timeout=30, what="consumer reported stalled")
            assert during["status"] == "degraded" and during["postgres"]["status"] == "down"
            assert during["consumer"]["lag_positions"] > 0
            metrics = (await client.get("/metrics")).text
            assert metric(metrics, "erk_consumer_lag_positions") > 0
            assert metric(metrics, "erk_consumer_stalled") == 1
            assert metric(metrics, "erk_consumer_batch_failures_total") >= 1

            await proxy.restore()
            after = await eventually(caught_up, timeout=90, interval=0.2,
                                     what="caught up after the outage")
            assert after["consumer"]["status"] == "ok" and after["tasks"]["status"] == "ok"
            assert metric((await client.get("/metrics")).text, "erk_consumer_stalled") == 0
            assert (await client.get(read[0], headers=read[1])).status_code == 200

        await apply_uninterrupted(reference, topic, await end_offsets(topic))
        async with live.connect() as conn:
            live_sums = await table_checksums(conn)
        async with reference.connect() as conn:
            assert live_sums == await table_checksums(conn)
        assert await projected(live) == recount(history.envelopes)
    finally:
        await proxy.close()
        await asyncio.gather(live.dispose(), reference.dispose())
