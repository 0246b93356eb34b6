"""Where projections are built: any database URL (PostgreSQL or a SQLite file), or a
PostgreSQL schema beside the live one, migrated with the registry's migrations."""

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db import make_engine, migrate

BUILD_PREFIX = "erk_build_"
PREVIOUS_PREFIX = "erk_prev_"


def target_engine(url: str) -> AsyncEngine:
    """An engine for a rebuild target; SQLite files get settings for bulk writing."""
    engine = make_engine(url, pool_size=2)
    if url.startswith("sqlite"):
        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    return engine


def migrate_projections(url: str, migrations: Sequence[Path], schema: str | None = None) -> (
    None
):
    """Create or upgrade the projection schema at ``url`` (inside PostgreSQL schema
    ``schema``) with every version folder in ``migrations``. Synchronous, like Alembic."""
    # Alembic splits its version_locations on os.pathsep (shared.db sets path_separator=os)
    migrate(url, Path(os.pathsep.join(str(folder) for folder in migrations)), schema=schema)


async def migrate_target(url: str, migrations: Sequence[Path],
                         schema: str | None = None) -> None:
    await asyncio.to_thread(migrate_projections, url, migrations, schema)


async def in_schema(conn: AsyncConnection, schema: str | None) -> AsyncConnection:
    """Route the connection's table names to ``schema`` (None: the default search_path)."""
    if schema is not None:
        await conn.execution_options(schema_translate_map={None: schema})
    return conn


async def new_build_schema(engine: AsyncEngine) -> str:
    """Create the next free ``erk_build_<n>`` schema and return its name."""
    async with engine.begin() as conn:
        rows = await conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                                  {"p": BUILD_PREFIX + "%"})
        taken = {int(name[len(BUILD_PREFIX):]) for name in rows.scalars()
                 if name[len(BUILD_PREFIX):].isdigit()}
        name = f"{BUILD_PREFIX}{max(taken, default=0) + 1}"
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    return name


async def lock_positions(conn: AsyncConnection, schema: str) -> None:
    """Hold the consumer of ``schema`` at its next batch (its ``SELECT ... FOR UPDATE`` of
    the positions waits); plain reads go on."""
    await conn.execute(text("SET LOCAL lock_timeout = '30s'"))
    await conn.execute(text(f"LOCK TABLE {_quoted(schema)}.consumer_positions "
                            "IN EXCLUSIVE MODE"))


async def rename_schema(conn: AsyncConnection, old: str, new: str) -> None:
    await conn.execute(text(f"ALTER SCHEMA {_quoted(old)} RENAME TO {_quoted(new)}"))


def _quoted(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain schema name: {name!r}")
    return f'"{name}"'
