"""Adding a projection is one new module plus one migration: the example below ("activities
reported per source and day") is defined only here, with its migration written into a
temporary version folder, and registered through ``Registry.including``. Nothing else is
edited, yet the live consumer path fills it, a replay rebuilds it, verify checks it (and
catches a tampered row), and its migration builds exactly its table definition."""

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import NewTopic
from alembic.script import ScriptDirectory
from history_data import KAFKA, consume_into, make_history, publish_all
from sqlalchemy import Column, Date, Integer, MetaData, Table, Text, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from test_migrations import schema_of

from services.appraisal.adapters import schema, targets
from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.adapters.migrations import MIGRATIONS
from services.appraisal.adapters.rows import rows_where
from services.appraisal.projections import REGISTRY
from services.appraisal.projections.base import Batch, Projection, Row
from services.appraisal.projections.registry import Registry
from services.appraisal.service_layer.replay import replay_store
from services.appraisal.service_layer.verify import run_verify
from shared.db import make_engine
from shared.envelope import EventEnvelope
from shared.events import ActivityReported, Event
from shared.history import EventHistory
from shared.kafka import admin as kafka_admin
from tests.support.pseudonyms import pseudonyms

pytestmark = pytest.mark.integration
PARTITIONS = 3
CreateDb = Callable[..., Awaitable[str]]

# -- the new module: its table, working set, load, pure apply, rows and query -------------------

metadata = MetaData()
per_source_day = Table(
    "activities_per_source_day", metadata,
    Column("source", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("activities", Integer, nullable=False),
)


@dataclass
class Tally:
    rows: dict[tuple[str, date], Row] = field(default_factory=dict)


class ActivitiesPerSourceDay(Projection[Tally]):
    tables = (per_source_day,)
    events = frozenset({ActivityReported})

    def start(self, batch: Batch) -> Tally:
        return Tally()

    async def load(self, conn: AsyncConnection, working: Tally, batch: Batch) -> None:
        keys = {(e.source, e.work_date) for _, e, _ in batch.events
                if isinstance(e, ActivityReported)}
        columns = tuple_(per_source_day.c.source, per_source_day.c.day)
        for row in await rows_where(conn, per_source_day, columns, keys):
            working.rows[(row["source"], row["day"])] = row

    def apply(self, working: Tally, envelope: EventEnvelope, event: Event,
              partition: int) -> None:
        assert isinstance(event, ActivityReported)
        key = (event.source, event.work_date)
        row = working.rows.setdefault(key, {"source": key[0], "day": key[1], "activities": 0})
        row["activities"] += 1

    def rows(self, working: Tally) -> Iterable[tuple[Table, list[Row]]]:
        return [(per_source_day, list(working.rows.values()))]


async def counts(conn: AsyncConnection) -> dict[tuple[str, date], int]:
    rows = await conn.execute(per_source_day.select())
    return {(row.source, row.day): row.activities for row in rows}


# -- ... and its migration, chained after appraisal's head ----------------------------------------

MIGRATION = '''"""Activities reported per source and day (the example projection).

Revision ID: example_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "example_0001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activities_per_source_day",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("activities", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("activities_per_source_day")
'''


def extended_registry(folder: Path) -> Registry:
    """The live registry, plus the example and the folder holding its migration."""
    (head,) = ScriptDirectory(str(MIGRATIONS), version_locations=[str(MIGRATIONS)]).get_heads()
    folder.mkdir()
    (folder / "0001_activities_per_source_day.py").write_text(MIGRATION.format(head=head))
    return REGISTRY.including(ActivitiesPerSourceDay(), migrations=folder)


# -- the proof ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def world(create_database: CreateDb, tmp_path_factory: pytest.TempPathFactory) -> (
    AsyncIterator[dict[str, Any]]
):
    """A store with a history on a fresh topic, and a live database built by the consumer
    path with the extended registry."""
    registry = extended_registry(tmp_path_factory.mktemp("example") / "versions")
    store_url = await create_database("intake")
    live_url = await create_database("appraisal", migrated=False)
    await targets.migrate_target(live_url, registry.migrations)
    topic = f"erk.test.registry.{uuid.uuid4().hex[:10]}"
    admin = kafka_admin(KAFKA)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    store, live = make_engine(store_url), make_engine(live_url)
    try:
        await make_history(store, days=2)
        async with EventHistory(store) as history:
            head = await history.head()
        await publish_all(store_url, store, topic, head)
        await consume_into(live, topic, PARTITIONS, registry=registry)
        yield {"registry": registry, "store_url": store_url, "store": store,
               "live_url": live_url, "live": live, "topic": topic}
    finally:
        await store.dispose()
        await live.dispose()
        await admin.delete_topics([topic])
        await admin.close()


async def reported(world: dict[str, Any]) -> Counter[tuple[str, date]]:
    """What the example should hold, counted straight from the event store."""
    async with world["store"].connect() as conn:
        rows = await conn.execute(text("SELECT payload->>'source', payload->>'work_date' "
                                       "FROM events WHERE event_type = 'ActivityReported'"))
        return Counter((source, date.fromisoformat(day)) for source, day in rows)


async def test_its_migration_builds_exactly_its_tables(world: dict[str, Any]) -> None:
    differences, heads = await schema_of(world["live_url"], schema.metadata(world["registry"]))
    assert (differences, heads) == ([], ["example_0001"])


async def test_the_consumer_path_fills_it(world: dict[str, Any]) -> None:
    expected = await reported(world)
    assert len(expected) >= 4 and sum(expected.values()) >= 20
    async with world["live"].connect() as conn:
        assert await counts(conn) == dict(expected)


async def test_a_replay_rebuilds_it(world: dict[str, Any], tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    registry = world["registry"]
    await targets.migrate_target(url, registry.migrations)
    engine = targets.target_engine(url)
    try:
        stats = await replay_store(world["store_url"], engine, world["topic"], PARTITIONS,
                                   registry=registry, pseudonyms=pseudonyms())
        async with engine.connect() as conn:
            rebuilt = await table_checksums(conn, registry)
            assert await counts(conn) == dict(await reported(world))
    finally:
        await engine.dispose()
    assert stats.dead_letters == 0
    async with world["live"].connect() as conn:
        assert rebuilt == await table_checksums(conn, registry)
    assert "activities_per_source_day" in rebuilt
    assert set(rebuilt) - {"activities_per_source_day"} == {t.name for t in REGISTRY.tables}


async def test_verify_checks_it(world: dict[str, Any]) -> None:
    async def audit() -> Any:
        return await run_verify(world["store_url"], world["live_url"], KAFKA, world["topic"],
                                registry=world["registry"], pseudonyms=pseudonyms())

    report = await audit()
    assert report.ok, report.checks
    assert "table activities_per_source_day" in {check.name for check in report.checks}
    async with world["live"].begin() as conn:
        await conn.execute(text("UPDATE activities_per_source_day "
                                "SET activities = activities + 1 WHERE day = (SELECT min(day) "
                                "FROM activities_per_source_day)"))
    try:
        failed = [check.name for check in (await audit()).checks if check.result == "FAIL"]
        assert failed == ["table activities_per_source_day"]
    finally:
        async with world["live"].begin() as conn:
            await conn.execute(text("UPDATE activities_per_source_day "
                                    "SET activities = activities - 1 WHERE day = (SELECT "
                                    "min(day) FROM activities_per_source_day)"))


def test_the_live_registry_is_unchanged() -> None:
    """Registering the example made a new registry; the live one does not know it."""
    assert "activities_per_source_day" not in {t.name for t in REGISTRY.tables}
    assert MIGRATIONS in REGISTRY.migrations and len(REGISTRY.migrations) == 1
