"""Verify: the hash chain names exactly the event that was changed, removed or inserted, and
the audit passes on a good store with its live projections and fails otherwise."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import NewTopic
from history_data import KAFKA, consume_into, make_history, publish_all
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.service_layer.verify import run_verify
from services.intake.adapters.unit_of_work import PostgresUnitOfWork
from services.intake.service_layer.ports import Context
from shared.auth import Principal
from shared.chain import chain_hash
from shared.db import make_engine
from shared.events import PeriodClosed
from shared.history import EventHistory, envelope_of, events, verify_chain
from shared.kafka import admin as kafka_admin
from tests.support.keys import TEST_KEYS
from tests.support.pseudonyms import pseudonyms

pytestmark = pytest.mark.integration
PARTITIONS = 3
CreateDb = Callable[[str], Awaitable[str]]
ROOT = Path(__file__).resolve().parents[2]
NIPS = ["196804111993031009", "199001012015032001", "198505052010011002"]


async def small_store(create_database: CreateDb, count: int = 20) -> tuple[str, AsyncEngine]:
    url = await create_database("intake")
    engine = make_engine(url)
    for n in range(count):  # one event per unit of work: one position each
        async with PostgresUnitOfWork(engine, Context(Principal("admin", "admin")),
                                      TEST_KEYS) as uow:
            uow.record(PeriodClosed(period=f"2025-{n % 12 + 1:02d}"), f"t-{n}", 1, NIPS[n % 3])
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_immutable"))
    return url, engine


async def row(engine: AsyncEngine, position: int) -> dict[str, Any]:
    async with engine.connect() as conn:
        return dict((await conn.execute(select(events).where(events.c.position == position)))
                    .mappings().one())


async def findings(url: str) -> list[tuple[str, int, Any]]:
    report = await verify_chain(url)
    assert report.events > 0
    return [(f.kind, f.position, f.event_id) for f in report.findings]


async def test_intact_chain(create_database: CreateDb) -> None:
    url, engine = await small_store(create_database)
    report = await verify_chain(url)
    await engine.dispose()
    assert report.ok and report.events == 20 and report.head_position == 20


async def test_changed_in_place(create_database: CreateDb) -> None:
    url, engine = await small_store(create_database)
    target = await row(engine, 7)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE events SET payload = jsonb_set(payload::jsonb, "
                                "'{period}', '\"2030-01\"')::json WHERE position = 7"))
    await engine.dispose()
    assert await findings(url) == [("changed", 7, target["event_id"])]


async def test_changed_and_rehashed(create_database: CreateDb) -> None:
    url, engine = await small_store(create_database)
    target = await row(engine, 7)
    forged = envelope_of({**target, "actor": "someone-else"})
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE events SET actor = 'someone-else', hash = :h "
                                "WHERE position = 7"),
                           {"h": chain_hash(target["prev_hash"], forged)})
    await engine.dispose()
    assert await findings(url) == [("changed", 7, target["event_id"])]


async def test_removed(create_database: CreateDb) -> None:
    url, engine = await small_store(create_database)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM events WHERE position IN (5, 6)"))
    await engine.dispose()
    assert await findings(url) == [("removed", 5, None)]


async def test_removed_and_renumbered(create_database: CreateDb) -> None:
    url, engine = await small_store(create_database)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM events WHERE position = 5"))
        await conn.execute(text("UPDATE events SET position = -position WHERE position > 5"))
        await conn.execute(text("UPDATE events SET position = -position - 1 WHERE position < 0"))
    await engine.dispose()
    assert await findings(url) == [("removed", 5, None)]


@pytest.mark.parametrize("linked", [True, False], ids=["forged-link", "naive"])
async def test_inserted(create_database: CreateDb, linked: bool) -> None:
    url, engine = await small_store(create_database)
    before = await row(engine, 9)
    forged_id = uuid.uuid4()
    forged = {**before, "position": 10, "event_id": forged_id, "actor": "forger",
              "stream_id": "forged",
              "prev_hash": before["hash"] if linked else bytes(32)}
    forged["hash"] = chain_hash(forged["prev_hash"], envelope_of(forged))
    async with engine.begin() as conn:  # make room: shift every later event by one
        await conn.execute(text("UPDATE events SET position = -position WHERE position > 9"))
        await conn.execute(text("UPDATE events SET position = -position + 1 WHERE position < 0"))
        await conn.execute(events.insert(), [forged])
    await engine.dispose()
    assert await findings(url) == [("inserted", 10, forged_id)]


async def test_every_problem_is_reported(create_database: CreateDb) -> None:
    url, engine = await small_store(create_database, count=30)
    changed = await row(engine, 4)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE events SET actor = 'x' WHERE position IN (4, 25)"))
        await conn.execute(text("DELETE FROM events WHERE position = 15"))
    await engine.dispose()
    result = await findings(url)
    assert [(k, p) for k, p, _ in result] == [("changed", 4), ("removed", 15), ("changed", 25)]
    assert result[0][2] == changed["event_id"]


# -- the whole audit -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def audited(create_database: CreateDb) -> AsyncIterator[dict[str, Any]]:
    store_url = await create_database("intake")
    live_url = await create_database("appraisal")
    topic = f"erk.test.verify.{uuid.uuid4().hex[:10]}"
    admin = kafka_admin(KAFKA)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    store, live = make_engine(store_url), make_engine(live_url)
    try:
        await make_history(store, days=2)
        async with EventHistory(store) as history:
            head = await history.head()
        await publish_all(store_url, store, topic, head)
        yield {"store_url": store_url, "live_url": live_url, "topic": topic, "head": head,
               "store": store, "live": live}
    finally:
        await store.dispose()
        await live.dispose()
        await admin.delete_topics([topic])
        await admin.close()


async def audit(world: dict[str, Any], **kwargs: Any) -> Any:
    return await run_verify(world["store_url"], world["live_url"], KAFKA, world["topic"],
                            pseudonyms=pseudonyms(), **kwargs)


async def test_verify_follows_the_live_consumer(audited: dict[str, Any],
                                                create_database: CreateDb) -> None:
    # a live projection of its own: the module's one may already be complete (test order)
    live_url = await create_database("appraisal")
    world = {**audited, "live_url": live_url}
    live = make_engine(live_url)
    try:
        # the live consumer is part-way: verify rebuilds exactly up to where it stands
        await consume_into(live, audited["topic"], PARTITIONS,
                           stop_at_position=audited["head"] // 2)
        report = await audit(world)
        assert report.ok, report.checks
        assert 0 < report.replay.events < audited["head"]
        await consume_into(live, audited["topic"], PARTITIONS)
        report = await audit(world, partitions=PARTITIONS)
        assert report.ok, report.checks
        assert report.replay.events == audited["head"]
    finally:
        await live.dispose()


async def test_verify_command_and_a_wrong_live_row(audited: dict[str, Any]) -> None:
    await consume_into(audited["live"], audited["topic"], PARTITIONS)
    root = ROOT
    args = [sys.executable, "-m", "services.appraisal.entrypoints.audit_cli", "verify",
            "--store-url", audited["store_url"], "--live-url", audited["live_url"],
            "--topic", audited["topic"]]
    good = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True,
                                   cwd=root, env=os.environ, check=False)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "VERIFIED" in good.stdout and "table eligibility" in good.stdout
    async with audited["live"].begin() as conn:
        await conn.execute(text("UPDATE eligibility SET allowance_pct = allowance_pct + 1 "
                                "WHERE nip = (SELECT min(nip) FROM eligibility)"))
    try:
        bad = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True,
                                      cwd=root, env=os.environ, check=False)
        assert bad.returncode == 1, bad.stdout + bad.stderr
        assert "NOT VERIFIED" in bad.stdout
        report = await audit(audited)
        failed = [c.name for c in report.checks if c.result == "FAIL"]
        assert failed == ["table eligibility"]
    finally:
        async with audited["live"].begin() as conn:
            await conn.execute(text("UPDATE eligibility SET allowance_pct = allowance_pct - 1 "
                                    "WHERE nip = (SELECT min(nip) FROM eligibility)"))


async def test_verify_fails_on_a_tampered_store(
    create_database: CreateDb, audited: dict[str, Any],
) -> None:
    url, engine = await small_store(create_database)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM events WHERE position = 3"))
    await engine.dispose()
    empty_live = await create_database("appraisal")
    report = await run_verify(url, empty_live, KAFKA, audited["topic"], pseudonyms=pseudonyms())
    assert not report.ok
    assert any(c.name == "  event 3" and "REMOVED" in c.details for c in report.checks)
