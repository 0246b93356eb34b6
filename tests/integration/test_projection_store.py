"""ProjectionService in-process on PostgreSQL: exactly-once batches, relay re-publishes,
held keys, parked records and their release by retry or skip. No Kafka: records are built
with the partitions and offsets a topic would give them."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date

import orjson
import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.adapters.dead_letters import dead_letters
from services.appraisal.adapters.held_keys import parked_records
from services.appraisal.adapters.positions import consumer_positions
from services.appraisal.domain.records import Record
from services.appraisal.projections.activities import activities
from services.appraisal.projections.employees import employees
from services.appraisal.service_layer.batches import ProjectionService
from shared.codec import UPCASTERS, encode
from shared.db import make_engine
from shared.envelope import EventEnvelope
from shared.events import ActivityReported
from shared.topics import BROADCAST_KEY
from tests.support.history import History, nip, wire
from tests.support.recount import projected, recount

pytestmark = pytest.mark.integration

TOPIC = "erk.test.events"
CreateDb = Callable[[str], Awaitable[str]]


class Topic:
    """Assigns partitions (by a fixed NIP -> partition map) and offsets like Kafka would."""

    def __init__(self, partitions: int = 2) -> None:
        self.partitions = partitions
        self.next: dict[int, int] = dict.fromkeys(range(partitions), 0)

    def publish(self, envelope: EventEnvelope | None = None, *, key: bytes | None = None,
                value: bytes | None = None, partition: int | None = None) -> list[Record]:
        if envelope is not None:
            key, value = wire(envelope)
        assert value is not None
        if partition is None and key == BROADCAST_KEY.encode():
            targets = list(range(self.partitions))
        else:
            targets = [partition if partition is not None else self.partition_of(key)]
        records = []
        for p in targets:
            records.append(Record(TOPIC, p, self.next[p], value, key))
            self.next[p] += 1
        return records

    def partition_of(self, key: bytes | None) -> int:
        """Employee number modulo the partitions (history.nip(i) puts i at 8..13)."""
        return int((key or b"0" * 18)[8:14]) % self.partitions


@pytest.fixture
async def db(create_database: CreateDb) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(await create_database("appraisal"))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def reference(create_database: CreateDb) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(await create_database("appraisal"))
    try:
        yield engine
    finally:
        await engine.dispose()


async def checksums(engine: AsyncEngine) -> dict[str, tuple[int, str]]:
    async with engine.connect() as conn:
        return await table_checksums(conn)


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def activity_status(engine: AsyncEngine, activity_id: uuid.UUID) -> str | None:
    async with engine.connect() as conn:
        return await conn.scalar(select(activities.c.status)
                                 .where(activities.c.activity_id == str(activity_id)))


async def open_letters(engine: AsyncEngine) -> list[dict[str, object]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(dead_letters).where(dead_letters.c.status == "open")
                                  .order_by(dead_letters.c.id))
        return [dict(r._mapping) for r in rows]


def newer_version(envelope: EventEnvelope) -> bytes:
    """The same event as a schema version this code does not know yet."""
    return encode(envelope.model_copy(update={"schema_version": 2}))


def roster(history: History, topic: Topic) -> list[Record]:
    """Employees 1, 5 (partition 1) and 2 (partition 0) report to 3; a policy."""
    records: list[Record] = []
    for i in (1, 2, 3, 5):
        records += topic.publish(history.employee(i, structural=i == 3))
    for i in (1, 2, 5):
        records += topic.publish(history.line(i, 3))
    records += topic.publish(history.policy())
    return records


async def test_batches_apply_once_and_relay_republishes_are_dropped(
    db: AsyncEngine, reference: AsyncEngine
) -> None:
    history, topic = History(), Topic()
    records = roster(history, topic)
    for i in (1, 2):
        envelope, activity_id = history.activity(i, date(2026, 1, 5))
        records += topic.publish(envelope)
        records += topic.publish(history.decision(i, 3, activity_id, "approved"))
    store = ProjectionService(db)
    first = await store.apply_batch(records)
    assert first.applied == len(history.envelopes) + 1  # the policy is on both partitions
    before = await checksums(db)
    again = await store.apply_batch(records)  # a redelivery: every offset already stored
    assert (again.applied, again.skipped) == (0, len(records))
    # the relay re-publishes the last three events at new offsets after a crash
    republished = [r for e in history.envelopes[-3:] for r in topic.publish(e)]
    result = await store.apply_batch(republished)
    assert (result.applied, result.skipped) == (0, len(republished))
    assert await checksums(db) == before
    # an uninterrupted run in one go gives the same projections
    await ProjectionService(reference).apply_batch(records)
    assert await checksums(reference) == before
    # and what both hold is what the events say: 4 employees, 2 activities of 90 approved
    assert await projected(db) == {"activities": 2, "minutes": 180, "approved": 180,
                                   "rejected": 0, "employees": 4, "closed": 0, "reviews": 0}


async def test_failed_transaction_leaves_nothing(db: AsyncEngine) -> None:
    history, topic = History(), Topic()
    records = roster(history, topic)
    store = ProjectionService(db)

    async def broken_sink(_: object) -> None:
        raise ConnectionError("dead-letter topic unreachable")

    records += topic.publish(key=nip(1).encode(), value=b"\xff not json")
    with pytest.raises(ConnectionError):
        await store.apply_batch(records, broken_sink)
    for table in (employees, consumer_positions, dead_letters, parked_records):
        assert await count(db, table) == 0
    result = await store.apply_batch(records)  # the consumer rewinds and tries again
    assert result.applied == len(records) - 1 and len(result.dead_letters) == 1


async def test_held_key_parks_later_events_until_skip(
    db: AsyncEngine, reference: AsyncEngine
) -> None:
    history, topic = History(), Topic()
    records = roster(history, topic)
    store = ProjectionService(db)
    await store.apply_batch(records)
    await ProjectionService(reference).apply_batch(records)

    poison = topic.publish(key=nip(1).encode(), value=b'{"event_type": "Activity')
    a1, id1 = history.activity(1, date(2026, 1, 6))
    other, id2 = history.activity(2, date(2026, 1, 6))
    later = topic.publish(a1) + topic.publish(other)
    result = await store.apply_batch(poison + later)
    assert (result.applied, result.parked, len(result.dead_letters)) == (1, 1, 1)
    assert result.dead_letters[0].code == "undecodable"
    # a re-published copy of a parked event is not parked twice
    assert (await store.apply_batch(topic.publish(a1))).skipped == 1
    d1 = history.decision(1, 3, id1, "revision_requested")
    d1b = history.decision(1, 3, id1, "approved")
    decisions = topic.publish(d1) + topic.publish(d1b)
    later += decisions
    result = await store.apply_batch(decisions)
    assert (result.applied, result.parked) == (0, 2)
    assert await activity_status(db, id2) == "pending"  # the other key went on
    assert await activity_status(db, id1) is None  # held back
    backlog = await store.backlog(TOPIC)
    assert backlog.held_keys == {1: 1} and backlog.parked == {1: 3}
    assert backlog.open_dead_letters == {"undecodable": 1}

    (letter,) = await open_letters(db)
    assert (letter["key"], letter["partition"], letter["offset"]) == (nip(1), 1,
                                                                     poison[0].offset)
    skipped = await store.resolve(int(letter["id"]), "skip", "tester")
    assert (skipped.status, skipped.changed, skipped.released) == ("skipped", True, 3)
    assert await activity_status(db, id1) == "approved"  # applied in order: revision, approved
    assert await count(db, parked_records) == 0
    again = await store.resolve(int(letter["id"]), "skip")
    assert not again.changed and again.message == "already skipped"
    assert not (await store.resolve(int(letter["id"]), "retry")).changed

    # same projections as a run that never saw the poison record
    await ProjectionService(reference).apply_batch(later)
    assert await checksums(db) == await checksums(reference)


async def test_broadcast_behind_a_held_key_holds_the_partition_until_retry(
    db: AsyncEngine, reference: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    history, topic = History(), Topic()
    records = roster(history, topic)
    e1, id1 = history.activity(1, date(2026, 1, 7))
    e4, id4 = history.activity(5, date(2026, 1, 7))  # also partition 1, another key
    e2, id2 = history.activity(2, date(2026, 1, 7))  # partition 0
    close = history.close("2026-01")
    e4b, id4b = history.activity(5, date(2026, 1, 8))
    d1 = history.decision(1, 3, id1, "approved")
    clean = records + topic.publish(e1) + topic.publish(e4) + topic.publish(e2)
    clean += topic.publish(close) + topic.publish(e4b) + topic.publish(d1)
    await ProjectionService(reference).apply_batch(clean)

    # the same stream, but e1 arrives as a schema version this code does not know yet
    live = [r if r.value != encode(e1) else
            Record(r.topic, r.partition, r.offset, newer_version(e1), r.key) for r in clean]
    store = ProjectionService(db)
    result = await store.apply_batch(live)
    assert [d.code for d in result.dead_letters] == ["unknown_version"]
    # partition 1: e4 applied (other key, before the broadcast); the close, e4b, d1 parked
    assert result.parked == 3
    assert {r.partition for r in live if r.value == encode(e4b)} == {1}
    assert await activity_status(db, id4) == "pending"
    assert await activity_status(db, id4b) is None  # behind the parked broadcast
    # partition 0 is not held: e2 and the close applied, so e2 was not validated in time
    # (issue 8: an activity still waiting at its period's close is "not_validated")
    assert await activity_status(db, id2) == "not_validated"
    assert (await store.backlog(TOPIC)).held_keys == {1: 2}  # nip(1) and '*'

    (letter,) = await open_letters(db)
    assert letter["event_type"] == "ActivityReported" and letter["position"] == e1.position
    still = await store.resolve(int(letter["id"]), "retry")
    assert (still.status, still.changed) == ("open", False)
    assert "newer than this code" in still.message

    # deploy version 2 with an upcaster for version 1, then retry
    monkeypatch.setattr(ActivityReported, "schema_version", 2)
    monkeypatch.setitem(UPCASTERS, ("ActivityReported", 1), lambda payload: payload)
    retried = await store.resolve(int(letter["id"]), "retry", "tester")
    assert (retried.status, retried.released, retried.still_parked) == ("retried", 3, 0)
    assert await activity_status(db, id1) == "approved"
    assert (await store.backlog(TOPIC)).held_keys == {}
    assert await checksums(db) == await checksums(reference)
    assert await projected(db) == recount(history.envelopes)
    assert not (await store.resolve(int(letter["id"]), "retry")).changed  # idempotent


async def test_dead_lettered_broadcast_holds_the_whole_partition(db: AsyncEngine) -> None:
    history, topic = History(), Topic()
    store = ProjectionService(db)
    await store.apply_batch(roster(history, topic))
    close = history.close("2026-01")
    broken = encode(close.model_copy(update={"payload": {"period": "2026-13"}}))
    records = [Record(TOPIC, p, topic.next[p], broken, b"*") for p in range(2)]
    for p in range(2):
        topic.next[p] += 1
    e1, id1 = history.activity(1, date(2026, 1, 9))
    e2, id2 = history.activity(2, date(2026, 1, 9))
    result = await store.apply_batch(records + topic.publish(e1) + topic.publish(e2))
    assert [d.code for d in result.dead_letters] == ["contract_violation"] * 2
    assert "period" in result.dead_letters[0].reason
    assert result.parked == 2 and result.applied == 0
    letters = await open_letters(db)
    assert {(d["partition"], d["key"]) for d in letters} == {(0, "*"), (1, "*")}
    # skipping partition 1's copy releases partition 1 only
    one = next(d for d in letters if d["partition"] == 1)
    assert (await store.resolve(int(one["id"]), "skip")).released == 1
    assert await activity_status(db, id1) == "pending"
    assert await activity_status(db, id2) is None


async def test_parked_record_that_is_poison_itself_becomes_a_dead_letter(
    db: AsyncEngine
) -> None:
    history, topic = History(), Topic()
    store = ProjectionService(db)
    await store.apply_batch(roster(history, topic))
    key = nip(1).encode()
    first = topic.publish(key=key, value=b"garbage one")
    e1, id1 = history.activity(1, date(2026, 1, 12))
    bad = orjson.loads(encode(history.activity(1, date(2026, 1, 12))[0]))
    bad["payload"]["minutes"] = 0  # breaks the contract (1..1440)
    e1c, id1c = history.activity(1, date(2026, 1, 13))
    records = first + topic.publish(e1)
    records += topic.publish(key=key, value=orjson.dumps(bad)) + topic.publish(e1c)
    result = await store.apply_batch(records)
    assert (len(result.dead_letters), result.parked) == (1, 3)
    (letter,) = await open_letters(db)
    skipped = await store.resolve(int(letter["id"]), "skip")
    # e1 applied, the bad one is a new dead letter and holds e1c again
    assert skipped.released == 1 and skipped.still_parked == 1
    assert [d.code for d in skipped.new_dead_letters] == ["contract_violation"]
    assert skipped.new_dead_letters[0].id is not None
    assert await activity_status(db, id1) == "pending"
    assert await activity_status(db, id1c) is None
    (second,) = await open_letters(db)
    assert (await store.resolve(int(second["id"]), "skip")).released == 1
    assert await activity_status(db, id1c) == "pending"


async def test_resolve_unknown_dead_letter(db: AsyncEngine) -> None:
    from services.appraisal.service_layer.resolution import DeadLetterNotFound

    with pytest.raises(DeadLetterNotFound):
        await ProjectionService(db).resolve(424242, "skip")


