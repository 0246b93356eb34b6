"""shared.history on a SQLite copy of the store: paging, bounds and chain findings."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update

from shared.chain import GENESIS_HASH, chain_hash
from shared.db import make_engine
from shared.envelope import EventEnvelope
from shared.history import EventHistory, events, verify_chain

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def chain(count: int) -> list[dict[str, Any]]:
    rows, prev = [], GENESIS_HASH
    for n in range(1, count + 1):
        envelope = EventEnvelope(
            event_id=uuid.uuid4(), event_type="PeriodClosed", schema_version=1,
            stream_id=f"period-{n}", stream_version=1, position=n, subject_nip="*",
            occurred_at=T0 + timedelta(minutes=n), recorded_at=T0 + timedelta(minutes=n),
            actor="admin", source="admin", correlation_id=uuid.uuid4(),
            payload={"period": "2026-02"})
        digest = chain_hash(prev, envelope)
        rows.append({**envelope.model_dump(), "prev_hash": prev, "hash": digest})
        prev = digest
    return rows


async def store(tmp_path: Path, count: int = 12) -> tuple[str, list[dict[str, Any]]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    rows = chain(count)
    async with engine.begin() as conn:
        await conn.run_sync(events.metadata.create_all)
        await conn.execute(events.insert(), rows)
    await engine.dispose()
    return url, rows


async def test_pages_and_bounds(tmp_path: Path) -> None:
    url, _ = await store(tmp_path)
    async with EventHistory(url, page=5) as history:
        assert [e.position async for e in history.stream()] == list(range(1, 13))
        assert [e.position async for e in history.stream(upto_position=7)] == list(range(1, 8))
        moment = T0 + timedelta(minutes=4, seconds=30)
        assert [e.position async for e in history.stream(upto_recorded_at=moment)] == [1, 2, 3, 4]
        assert await history.head() == 12


async def test_findings(tmp_path: Path) -> None:
    url, rows = await store(tmp_path)
    assert (await verify_chain(url)).ok
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(update(events).where(events.c.position == 3).values(actor="x"))
        await conn.execute(delete(events).where(events.c.position == 8))
    await engine.dispose()
    report = await verify_chain(url)
    assert [(f.kind, f.position, f.event_id) for f in report.findings] == [
        ("changed", 3, rows[2]["event_id"]), ("removed", 8, None)]
