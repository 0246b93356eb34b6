"""The world of the HTTP flow tests (objections, transfers, a data subject's rights): intake
in-process on a fresh store and a fixed clock, a history written through its API, the real
relay onto a fresh 3-partition topic, the topic applied to a fresh projection database, and
appraisal's reads on it, on a later fixed day."""

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.admin import NewTopic
from history_data import KAFKA, consume_into, publish_all

from services.appraisal.adapters import targets
from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.bootstrap import build_app as build_appraisal
from services.appraisal.domain.records import AsOf
from services.appraisal.projections import REGISTRY
from services.appraisal.service_layer.replay import replay_kafka
from services.appraisal.settings import AppraisalSettings
from services.intake.bootstrap import build_app as build_intake
from services.intake.settings import IntakeSettings
from shared.clock import FixedClock
from shared.db import make_engine
from shared.history import EventHistory
from shared.kafka import admin as kafka_admin
from shared.policy import default_policy_path

CreateDb = Callable[[str], Awaitable[str]]
WriteHistory = Callable[[httpx.AsyncClient, FixedClock], Awaitable[dict[str, Any] | None]]

PARTITIONS = 3


@contextlib.asynccontextmanager
async def flow_world(create_database: CreateDb, name: str, written: datetime, read: datetime,
                     history: WriteHistory) -> AsyncIterator[dict[str, Any]]:
    """``reader`` (an HTTP client of appraisal), ``live`` (its engine), ``topic``,
    ``store_url``, ``live_url``, and whatever ``history`` returned."""
    store_url, live_url = await create_database("intake"), await create_database("appraisal")
    topic = f"erk.test.{name}.{uuid.uuid4().hex[:10]}"
    admin = kafka_admin(KAFKA)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS,
                                        replication_factor=1)])
    live = make_engine(live_url)
    try:
        made = await _written(store_url, written, history)
        await _published_and_applied(store_url, live, topic)
        with pytest.MonkeyPatch.context() as patch:  # the store is read when the app is built
            patch.setenv("INTAKE_DATABASE_URL", store_url)
            appraisal = build_appraisal(AppraisalSettings(database_url=live_url),
                                        consume=False, clock=FixedClock(read))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=appraisal),
                                     base_url="http://appraisal") as reader:
            yield {"reader": reader, "live": live, "topic": topic, "store_url": store_url,
                   "live_url": live_url, **(made or {})}
    finally:
        await live.dispose()
        await admin.delete_topics([topic])
        await admin.close()


async def _written(store_url: str, written: datetime,
                   history: WriteHistory) -> dict[str, Any] | None:
    clock = FixedClock(written)
    intake = build_intake(IntakeSettings(database_url=store_url,
                                         policy_file=default_policy_path(),
                                         period_closer_interval_s=3600),
                          run_relay=False, run_ingress=False, clock=clock)
    async with intake.router.lifespan_context(intake), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=intake), base_url="http://intake") as client:
        return await history(client, clock)


async def _published_and_applied(store_url: str, live: Any, topic: str) -> None:
    store = make_engine(store_url)
    try:
        async with EventHistory(store) as events:
            head = await events.head()
        await publish_all(store_url, store, topic, head)
    finally:
        await store.dispose()
    await consume_into(live, topic, PARTITIONS)


Checksums = dict[str, tuple[int, str]]


async def replayed_and_live(world: dict[str, Any], db: Path, batch: int) -> tuple[Checksums,
                                                                                   Checksums]:
    """The table checksums of the world's topic replayed into a fresh SQLite file ``db``
    (``batch`` records a batch: small, so that batches split the history), and of its live
    projections."""
    url = f"sqlite+aiosqlite:///{db}"
    await targets.migrate_target(url, REGISTRY.migrations)
    engine = targets.target_engine(url)
    try:
        stats = await replay_kafka(KAFKA, engine, world["topic"], AsOf(), batch=batch)
        assert stats.dead_letters == 0
        async with engine.connect() as conn:
            replayed = await table_checksums(conn)
    finally:
        await engine.dispose()
    async with world["live"].connect() as conn:
        return replayed, await table_checksums(conn)
