"""Every migration of both services replays from an empty database to head, and what it
builds is exactly the table definitions the code works with: Alembic's ``compare_metadata``
finds no difference (tables, columns, types, nullability, keys, unique constraints, indexes).

Appraisal runs on PostgreSQL (live, and inside a schema for a version built beside the live
one) and on a SQLite file (replays for auditors target SQLite). Intake runs on PostgreSQL
only: its event store needs advisory locks, a trigger and a BRIN index.
"""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from services.appraisal.adapters import schema as appraisal_schema
from services.appraisal.adapters.migrations import MIGRATIONS as APPRAISAL_MIGRATIONS
from services.intake.adapters import tables as intake_tables
from services.intake.adapters.migrations import MIGRATIONS as INTAKE_MIGRATIONS
from shared.db import make_engine, migrate

pytestmark = pytest.mark.integration

CreateDb = Callable[..., Awaitable[str]]


def intake_metadata() -> MetaData:
    """Intake's tables and the event store's (defined in shared, for auditors) together."""
    metadata = MetaData()
    for table in [*intake_tables.metadata.tables.values(), intake_tables.events]:
        table.to_metadata(metadata)
    return metadata


def head_of(versions: Path) -> str:
    scripts = ScriptDirectory(str(versions), version_locations=[str(versions)])
    (head,) = scripts.get_heads()
    return head


def _differences(conn: Connection, metadata: MetaData) -> tuple[list[Any], list[str]]:
    context = MigrationContext.configure(conn)
    return list(compare_metadata(context, metadata)), list(context.get_current_heads())


async def schema_of(url: str, metadata: MetaData, schema: str | None = None) -> (
    tuple[list[Any], list[str]]
):
    """(differences between the database and ``metadata``, the database's Alembic heads)."""
    options = ({"connect_args": {"server_settings": {"search_path": schema}}}
               if schema else {})
    engine = make_engine(url) if schema is None else create_async_engine(url, **options)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_differences, metadata)
    finally:
        await engine.dispose()


async def test_appraisal_on_postgresql_from_empty(create_database: CreateDb) -> None:
    url = await create_database("appraisal", migrated=False)
    assert await schema_of(url, MetaData()) == ([], [])  # nothing there yet
    await asyncio.to_thread(migrate, url, APPRAISAL_MIGRATIONS)
    assert await schema_of(url, appraisal_schema.metadata()) == (
        [], [head_of(APPRAISAL_MIGRATIONS)])


async def test_appraisal_in_a_schema_beside_the_live_one(create_database: CreateDb) -> None:
    url = await create_database("appraisal", migrated=False)
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text('CREATE SCHEMA "erk_build_1"'))
    await engine.dispose()
    await asyncio.to_thread(migrate, url, APPRAISAL_MIGRATIONS, schema="erk_build_1")
    assert await schema_of(url, appraisal_schema.metadata(), "erk_build_1") == (
        [], [head_of(APPRAISAL_MIGRATIONS)])
    assert await schema_of(url, MetaData()) == ([], [])  # the default schema stays empty


async def test_appraisal_on_a_sqlite_file_from_empty(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'projections.db'}"
    await asyncio.to_thread(migrate, url, APPRAISAL_MIGRATIONS)
    assert await schema_of(url, appraisal_schema.metadata()) == (
        [], [head_of(APPRAISAL_MIGRATIONS)])


async def test_intake_on_postgresql_from_empty(create_database: CreateDb) -> None:
    url = await create_database("intake", migrated=False)
    await asyncio.to_thread(migrate, url, INTAKE_MIGRATIONS)
    assert await schema_of(url, intake_metadata()) == ([], [head_of(INTAKE_MIGRATIONS)])
