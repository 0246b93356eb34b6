"""Replay: a rebuild from the event store or from Kafka, into PostgreSQL or SQLite, equals the
live projections built by the relay -> Kafka -> apply_records path; "as of" gives the state at
that point; a new version built beside the live one swaps in while the query API serves."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.admin import NewTopic
from history_data import KAFKA, STAFF, consume_into, make_history, publish_all
from sqlalchemy import select, text

from services.appraisal.adapters import targets
from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.bootstrap import build_app
from services.appraisal.domain.records import AsOf
from services.appraisal.projections import REGISTRY, discipline
from services.appraisal.projections.activities import activities
from services.appraisal.service_layer.batches import ProjectionService
from services.appraisal.service_layer.replay import (
    ReplayStats,
    replay_kafka,
    replay_store,
    target_is_empty,
)
from services.appraisal.service_layer.versions import build_version, swap
from services.appraisal.settings import AppraisalSettings
from shared.auth import Principal, issue_token
from shared.db import make_engine
from shared.history import EventHistory, events
from shared.kafka import admin as kafka_admin
from shared.settings import AuthSettings
from tests.support.pseudonyms import pseudonyms
from tests.support.recount import eligibility_row, projected
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
PARTITIONS = 3
ROOT = Path(__file__).resolve().parents[2]
CreateDb = Callable[[str], Awaitable[str]]


@pytest.fixture(scope="module")
async def world(create_database: CreateDb) -> AsyncIterator[dict[str, Any]]:
    """A store with a history, the history on a fresh topic, and a live projection."""
    store_url = await create_database("intake")
    live_url = await create_database("appraisal")
    topic = f"erk.test.replay.{uuid.uuid4().hex[:10]}"
    admin = kafka_admin(KAFKA)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    store = make_engine(store_url)
    live = make_engine(live_url)
    try:
        facts = await make_history(store)
        async with EventHistory(store) as history:
            head = await history.head()
        await publish_all(store_url, store, topic, head)
        await consume_into(live, topic, PARTITIONS)
        async with live.connect() as conn:
            sums = await table_checksums(conn)
        yield {"store_url": store_url, "live_url": live_url, "topic": topic, "head": head,
               "sums": sums, "store": store, "live": live, **facts}
    finally:
        await store.dispose()
        await live.dispose()
        await admin.delete_topics([topic])
        await admin.close()


async def checksums(url: str) -> dict[str, tuple[int, str]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await table_checksums(conn)
    finally:
        await engine.dispose()


async def rebuilt(url: str, world: dict[str, Any], source: str = "store",
                  as_of: AsOf | None = None) -> ReplayStats:
    as_of = as_of or AsOf()
    await targets.migrate_target(url, REGISTRY.migrations)
    engine = targets.target_engine(url)
    try:
        assert await target_is_empty(engine)
        if source == "store":
            return await replay_store(world["store_url"], engine, world["topic"], PARTITIONS,
                                      as_of, batch=50, pseudonyms=pseudonyms())
        return await replay_kafka(KAFKA, engine, world["topic"], as_of, batch=50)
    finally:
        await engine.dispose()


# STAFF[0]'s February, by hand from make_history: four reports of 240 minutes (activities
# 0, 5, 10 and 15 of the history), three approved, the fourth sent back, amended to 200
# minutes and approved: 920 minutes, 920 / 6,000 = 15.3 %. 360: the superior gives 84
# (80 + 18 % 7) on every indicator, the four peers 72, 73, 71 and 74 (70 + their NIP's last
# digit): mean 72.5. Superior 50 and peers 25 renormalised: 2/3 x 84 + 1/3 x 72.5 = 80.17
# -> 80.2. Peers rated: 60/40, 0.6 x 15.33 + 0.4 x 80.17 = 41.27 -> 41.3, Buruk, 80 % of the
# allowance; February is closed: final.
FEBRUARY_OF_STAFF_0 = {"approved_minutes": 920, "results_pct": 15.3, "behaviour_score": 80.2,
                       "score": 41.3, "category": "Buruk", "allowance_pct": 80.0,
                       "state": "final"}
# STAFF[1]'s February as TOP's upheld objection set it (history_data.object_to_february):
# 3,000 of 6,000 minutes = 50.0 %. 360: the superior 84, the peers 71, 73, 71 and 74 (mean
# 72.25): 2/3 x 84 + 1/3 x 72.25 = 80.08 -> 80.1; 0.6 x 50 + 0.4 x 80.08 = 62.03 -> 62.0,
# Cukup (61-75), 90 %.
FEBRUARY_OF_STAFF_1 = {"approved_minutes": 3000, "results_pct": 50.0, "behaviour_score": 80.1,
                       "score": 62.0, "category": "Cukup", "allowance_pct": 90.0,
                       "state": "final"}


def by_hand(world: dict[str, Any]) -> dict[str, int]:
    """The projection's figures counted from make_history's facts, not from any projection:
    40 reports of 240 + 10 i minutes (200 once amended), the decisions as they stand, 7
    employees (TOP, BOSS, five staff), February closed, 5 superior and 20 peer reviews."""
    minutes = {activity: 200 if activity in world["revised"] else 240 + 10 * STAFF.index(nip)
               for nip, activity, _ in world["activities"]}
    decided = world["decided"]
    return {"activities": len(minutes), "minutes": sum(minutes.values()),
            "approved": sum(m for a, m in minutes.items() if decided.get(a) == "approved"),
            "rejected": sum(m for a, m in minutes.items() if decided.get(a) == "rejected"),
            "employees": 2 + len(STAFF), "closed": 1, "reviews": len(STAFF) ** 2}


async def test_live_projection_is_not_trivial(world: dict[str, Any]) -> None:
    assert await projected(world["live_url"]) == by_hand(world)
    assert await eligibility_row(world["live_url"], STAFF[0], "2026-02") == FEBRUARY_OF_STAFF_0
    assert await eligibility_row(world["live_url"], STAFF[1], "2026-02") == FEBRUARY_OF_STAFF_1
    sums = world["sums"]
    assert sums["employees"][0] == 2 + len(STAFF)
    assert sums["objections"][0] == 3  # upheld, rejected, waiting (history_data)
    assert sums["activities"][0] == len(world["activities"])
    assert sums["eligibility"][0] > 0 and sums["behaviour_reviews"][0] > 0
    assert sums["closed_periods"][0] == 1
    assert sums["discipline_months"][0] == 2 * len(STAFF)
    assert sums["absence_justifications"][0] == 2
    assert await discipline_of(world["live_url"], STAFF[0], "2026-02") == (
        "final", 18, 4, [1, 0, 0, 0], 14, Decimal("57.50"))
    async with world["store"].connect() as conn:  # amendments go through replay too
        assert await conn.scalar(text("SELECT count(*) FROM events "
                                      "WHERE event_type = 'ActivityRevised'")) == 3


async def discipline_of(url: str, nip: str, period: str) -> tuple[Any, ...]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            row = await discipline.row_of(conn, nip, period)
    finally:
        await engine.dispose()
    assert row is not None
    return (row["state"], row["days_expected"], row["days_present"],
            row["late_days_by_tier"], row["absent_unjustified"],
            Decimal(str(row["percentage"])))


async def test_rebuild_from_store_into_postgres_equals_live(
    world: dict[str, Any], create_database: CreateDb,
) -> None:
    url = await create_database("appraisal")
    stats = await rebuilt(url, world)
    assert stats.events == world["head"] and stats.dead_letters == 0
    assert await checksums(url) == world["sums"]
    assert await projected(url) == by_hand(world)
    assert await eligibility_row(url, STAFF[0], "2026-02") == FEBRUARY_OF_STAFF_0
    assert (await discipline_of(url, STAFF[0], "2026-02"))[-1] == Decimal("57.50")


async def test_rebuild_from_store_into_sqlite_equals_live(
    world: dict[str, Any], tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rebuild.db'}"
    await rebuilt(url, world)
    assert await checksums(url) == world["sums"]
    assert await projected(url) == by_hand(world)
    assert await eligibility_row(url, STAFF[1], "2026-02") == FEBRUARY_OF_STAFF_1
    assert await eligibility_row(url, STAFF[0], "2026-02") == FEBRUARY_OF_STAFF_0
    assert (await discipline_of(url, STAFF[0], "2026-02"))[-1] == Decimal("57.50")


async def test_rebuild_from_kafka_equals_live(world: dict[str, Any], tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kafka.db'}"
    stats = await rebuilt(url, world, source="kafka")
    assert stats.dead_letters == 0
    assert await checksums(url) == world["sums"]
    assert await projected(url) == by_hand(world)
    assert await eligibility_row(url, STAFF[0], "2026-02") == FEBRUARY_OF_STAFF_0


async def _approval(world: dict[str, Any]) -> tuple[str, int, Any]:
    """An approved activity, the position of its approval and the time of the event before."""
    activity = next(str(a) for a, d in world["decided"].items() if d == "approved")
    async with world["store"].connect() as conn:
        position = await conn.scalar(text(
            "SELECT position FROM events WHERE event_type = 'ReviewSubmitted' "
            "AND payload->'review'->>'activity_id' = :a"), {"a": activity})
        before = await conn.scalar(select(events.c.recorded_at)
                                   .where(events.c.position == position - 1))
    return activity, position, before


async def _status(url: str, activity: str) -> str | None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(select(activities.c.status)
                                     .where(activities.c.activity_id == activity))
    finally:
        await engine.dispose()


async def test_as_of_position_and_time(world: dict[str, Any], tmp_path: Path) -> None:
    activity, position, before = await _approval(world)
    cases = [("store", AsOf(position=position - 1), "pending"),
             ("store", AsOf(position=position), "approved"),
             ("store", AsOf(moment=before), "pending"),
             ("store", AsOf(moment=before + timedelta(hours=1)), "approved"),
             ("kafka", AsOf(position=position - 1), "pending"),
             ("kafka", AsOf(moment=before), "pending"),
             ("kafka", AsOf(position=position), "approved")]
    for n, (source, as_of, expected) in enumerate(cases):
        url = f"sqlite+aiosqlite:///{tmp_path / f'asof{n}.db'}"
        await rebuilt(url, world, source, as_of)
        assert await _status(url, activity) == expected, (source, as_of)
    # as of the head equals the live state; as of position p equals a consumer stopped at p
    url = f"sqlite+aiosqlite:///{tmp_path / 'head.db'}"
    await rebuilt(url, world, "store", AsOf(position=world["head"]))
    assert await checksums(url) == world["sums"]
    stopped = f"sqlite+aiosqlite:///{tmp_path / 'stopped.db'}"
    await targets.migrate_target(stopped, REGISTRY.migrations)
    engine = targets.target_engine(stopped)
    try:
        await consume_into(engine, world["topic"], PARTITIONS, stop_at_position=position)
    finally:
        await engine.dispose()
    url = f"sqlite+aiosqlite:///{tmp_path / 'at.db'}"
    await rebuilt(url, world, "store", AsOf(position=position))
    assert await checksums(url) == await checksums(stopped)


async def test_replay_command(world: dict[str, Any], tmp_path: Path) -> None:
    into = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    args = [sys.executable, "-m", "services.appraisal.entrypoints.audit_cli", "replay",
            "--from", "store", "--store-url", world["store_url"], "--topic", world["topic"],
            "--into", into, "--partitions", str(PARTITIONS)]
    done = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True,
                                   cwd=ROOT, env=os.environ)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "events/s" in done.stdout and "peak RSS" in done.stdout
    assert await checksums(into) == world["sums"]
    again = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True,
                                    cwd=ROOT, env=os.environ)
    assert again.returncode != 0 and "already holds projections" in again.stdout + again.stderr


async def test_build_version_and_swap_keep_the_query_api_serving(
    world: dict[str, Any], create_database: CreateDb,
) -> None:
    live_url = await create_database("appraisal")
    live = make_engine(live_url)
    topic = world["topic"]
    auth = AuthSettings()  # type: ignore[call-arg]
    token = issue_token(auth, Principal("dashboard", "dashboard"), timedelta(hours=1))
    app = build_app(AppraisalSettings(database_url=live_url), consume=False)
    errors: list[str] = []
    answers: list[dict[str, Any]] = []
    stop = asyncio.Event()

    async def reader() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            while not stop.is_set():
                response = await client.get(f"/v1/employees/{STAFF[0]}/months/2026-03",
                                            headers={"Authorization": f"Bearer {token}"})
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                else:
                    answers.append(response.json())
                await asyncio.sleep(0.005)

    try:
        # the live version, part-way (a consumer that has not read everything yet)
        _, halfway, _ = await _approval(world)
        await consume_into(live, topic, PARTITIONS, stop_at_position=halfway)
        reading = asyncio.create_task(reader())
        schema, stats = await build_version(live_url, KAFKA, topic)
        assert schema.startswith(targets.BUILD_PREFIX) and stats.applied > 0
        # the live consumer goes on while the build waits; a batch is in flight at the swap
        consumed = sum((await ProjectionService(live).next_offsets(topic)).values())
        consuming = asyncio.create_task(consume_into(live, topic, PARTITIONS, batch=3,
                                                     pause=0.05))

        async def under_way() -> bool:
            return sum((await ProjectionService(live).next_offsets(topic)).values()) > consumed

        await eventually(under_way, timeout=30, interval=0.01, what="the live consumer under way")
        result = await swap(live, schema, KAFKA, topic)
        assert not consuming.done(), "the consumer should still be going at the swap"
        await consuming
        read_by_then = len(answers)
        await eventually(lambda: len(answers) > read_by_then + 3, timeout=30,
                         what="reads after the swap")
        stop.set()
        await reading
        assert not errors, errors[:3]
        assert len(answers) > 10
        # the live schema is the new version; the old one is kept
        async with live.connect() as conn:
            names = set((await conn.execute(text("SELECT nspname FROM pg_namespace")))
                        .scalars())
        assert result.previous_schema in names and schema not in names
        # the consumer continued in the new version: it equals a full rebuild
        assert await checksums(live_url) == world["sums"]
        # and the API reads the new schema (mark the kept one: the API must not see it)
        async with live.begin() as conn:
            await conn.execute(text(f'UPDATE "{result.previous_schema}".employee_months '
                                    "SET approved_minutes = -1"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            response = await client.get(f"/v1/employees/{STAFF[0]}/months/2026-03",
                                        headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert "-1" not in str(response.json().get("minutes", response.json()))
    finally:
        stop.set()
        await live.dispose()
