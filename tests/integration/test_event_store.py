"""The PostgreSQL event store: positions, hash chain, optimistic concurrency, immutability."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters import event_store
from services.intake.adapters.event_store import ConcurrencyConflict
from services.intake.adapters.tables import events
from services.intake.adapters.unit_of_work import PostgresUnitOfWork
from services.intake.service_layer.ports import Context
from shared.auth import Principal
from shared.chain import GENESIS_HASH, chain_hash
from shared.codec import decode_payload
from shared.envelope import EventEnvelope
from shared.events import PeriodClosed
from tests.support.keys import TEST_KEYS
from tests.support.waiting import eventually, never

pytestmark = pytest.mark.integration

ADMIN = Principal("admin", "admin")
NIP = "199001012015032001"


def event() -> PeriodClosed:
    return PeriodClosed(period="2026-01")


def new_stream() -> str:
    return f"test-{uuid.uuid4().hex}"


async def head(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.coalesce(func.max(events.c.position), 0))))


async def read_all(engine: AsyncEngine, after: int = 0) -> list[EventEnvelope]:
    async with engine.connect() as conn:
        return await event_store.read_after(conn, after, 100_000)


async def verify_chain(engine: AsyncEngine) -> int:
    """Recompute the whole hash chain; return the number of events checked."""
    expected_prev, count = GENESIS_HASH, 0
    async with engine.connect() as conn:
        async for envelope, prev_hash, digest in event_store.stream_all(conn, page=97):
            count += 1
            assert envelope.position == count, "positions must be 1..N without gaps"
            assert prev_hash == expected_prev, f"broken link at {envelope.position}"
            assert chain_hash(prev_hash, envelope) == digest, f"bad hash at {envelope.position}"
            expected_prev = digest
    return count


async def test_append_assigns_gap_free_positions_and_a_valid_chain(engine: AsyncEngine) -> None:
    before = await head(engine)
    stream = new_stream()
    async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS) as uow:
        recorded = [uow.record(event(), stream, v, NIP) for v in (1, 2, 3)]
    assert [r.position for r in recorded] == [before + 1, before + 2, before + 3]
    async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS) as uow:
        later = uow.record(event(), stream, 4, NIP)
    assert later.position == before + 4

    stored = await read_all(engine, before)
    assert [e.position for e in stored] == [before + 1, before + 2, before + 3, before + 4]
    assert [e.stream_version for e in stored] == [1, 2, 3, 4]
    assert [e.event_id for e in stored] == [r.envelope.event_id for r in [*recorded, later]]
    assert all(decode_payload(e) == event() for e in stored)
    assert await verify_chain(engine) == before + 4


async def test_empty_unit_of_work_appends_nothing(engine: AsyncEngine) -> None:
    before = await head(engine)
    async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS):
        pass
    assert await head(engine) == before


async def test_chain_detects_tampering_with_the_canonical_form(engine: AsyncEngine) -> None:
    async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS) as uow:
        uow.record(event(), new_stream(), 1, NIP)
    (last,) = (await read_all(engine, await head(engine) - 1))
    async with engine.connect() as conn:
        row = (await conn.execute(select(events.c.prev_hash, events.c.hash)
                                  .where(events.c.position == last.position))).one()
    assert chain_hash(row.prev_hash, last) == row.hash
    forged = last.model_copy(update={"actor": "mallory"})
    assert chain_hash(row.prev_hash, forged) != row.hash


async def test_existing_stream_version_conflicts_and_stores_nothing(engine: AsyncEngine) -> None:
    stream = new_stream()
    async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS) as uow:
        uow.record(event(), stream, 1, NIP)
    before = await head(engine)

    other = new_stream()
    with pytest.raises(ConcurrencyConflict):
        async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS) as uow:
            uow.record(event(), other, 1, NIP)   # fine on its own ...
            uow.record(event(), stream, 1, NIP)  # ... but this version exists
    assert await head(engine) == before
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).where(events.c.stream_id == other)) == 0
        assert await conn.scalar(select(func.count()).where(events.c.stream_id == stream)) == 1

    # the store goes on without a gap
    async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS) as uow:
        ok = uow.record(event(), stream, 2, NIP)
    assert ok.position == before + 1
    assert await verify_chain(engine) == before + 1


async def test_failing_unit_of_work_rolls_back(engine: AsyncEngine) -> None:
    before = await head(engine)
    with pytest.raises(RuntimeError):
        async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS) as uow:
            uow.record(event(), new_stream(), 1, NIP)
            raise RuntimeError("handler failed")
    assert await head(engine) == before


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET actor = 'mallory'", "DELETE FROM events", "TRUNCATE events"],
)
async def test_events_are_immutable(engine: AsyncEngine, statement: str) -> None:
    async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS) as uow:
        uow.record(event(), new_stream(), 1, NIP)
    before = await head(engine)
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(text(statement))
        await conn.rollback()
    assert await head(engine) == before
    assert await verify_chain(engine) == before


async def test_concurrent_writers_get_gap_free_unique_positions(engine: AsyncEngine) -> None:
    writers, appends = 8, 50
    before = await head(engine)
    positions: list[int] = []

    async def writer(index: int) -> None:
        stream = new_stream()
        for version in range(1, appends + 1):
            context = Context(Principal(f"writer-{index}", "admin"))
            async with PostgresUnitOfWork(engine, context, TEST_KEYS) as uow:
                recorded = uow.record(event(), stream, version, NIP)
            assert recorded.position is not None
            positions.append(recorded.position)

    await asyncio.wait_for(asyncio.gather(*(writer(i) for i in range(writers))), 120)

    total = writers * appends
    assert sorted(positions) == list(range(before + 1, before + total + 1))
    assert len(set(positions)) == total
    stored = await read_all(engine, before)
    assert [e.position for e in stored] == list(range(before + 1, before + total + 1))
    # each writer's stream kept its own order
    by_stream: dict[str, list[int]] = {}
    for e in stored:
        by_stream.setdefault(e.stream_id, []).append(e.stream_version)
    assert len(by_stream) == writers
    assert all(v == list(range(1, appends + 1)) for v in by_stream.values())
    assert await verify_chain(engine) == before + total


async def _waiting_for_append_lock(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")))


async def test_reader_never_sees_a_position_past_an_uncommitted_one(engine: AsyncEngine) -> None:
    """The out-of-order-commit trap: B must not commit position n+2 while A holds n+1."""
    last = await head(engine)
    b_entered = asyncio.Event()
    b_may_commit = asyncio.Event()

    async def tail() -> list[int]:
        return [e.position or 0 for e in await read_all(engine, last)]

    async def writer_b() -> int | None:
        async with PostgresUnitOfWork(engine, Context(Principal("b", "admin")), TEST_KEYS) as uow:
            b_entered.set()
            recorded = uow.record(event(), new_stream(), 1, NIP)
            await b_may_commit.wait()
        return recorded.position

    a = PostgresUnitOfWork(engine, Context(Principal("a", "admin")), TEST_KEYS)
    await a.__aenter__()
    try:
        recorded_a = a.record(event(), new_stream(), 1, NIP)
        task_b = asyncio.create_task(writer_b())
        # B is blocked on the append lock while A's transaction is open
        await eventually(lambda: _waiting_for_append_lock(engine), timeout=5,
                         what="B waiting for the append lock")
        assert await _waiting_for_append_lock(engine) == 1
        await never(b_entered.is_set, 0.3, what="B entering while A holds the lock")
        assert not task_b.done()
        assert await tail() == []
    except BaseException:
        await a.__aexit__(RuntimeError, RuntimeError(), None)
        raise
    await a.__aexit__(None, None, None)
    assert recorded_a.position == last + 1

    await asyncio.wait_for(b_entered.wait(), 10)
    # A is visible; B's event is not, and it cannot take a lower position any more
    assert await tail() == [last + 1]
    b_may_commit.set()
    position_b = await asyncio.wait_for(task_b, 10)
    assert position_b == last + 2
    assert await tail() == [last + 1, last + 2]


async def test_occurred_at_is_stored_in_utc(engine: AsyncEngine) -> None:
    from datetime import timedelta, timezone

    jakarta = timezone(timedelta(hours=7))
    when = datetime(2026, 3, 2, 15, 0, tzinfo=jakarta)
    async with PostgresUnitOfWork(engine, Context(ADMIN), TEST_KEYS) as uow:
        recorded = uow.record(event(), new_stream(), 1, NIP, occurred_at=when)
    (stored,) = await read_all(engine, (recorded.position or 0) - 1)
    assert stored.occurred_at == when
    assert stored.occurred_at.utcoffset() == timedelta(0)
    assert stored.occurred_at.astimezone(UTC).hour == 8
    await verify_chain(engine)
