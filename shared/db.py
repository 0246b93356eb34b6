"""Database plumbing both services use: engines and migrations."""

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

_ALEMBIC_ENV = Path(__file__).parent / "alembic"


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """An async engine; SQLite files get no pool settings (they do not take them).

    PostgreSQL connections use TLS only when the URL asks for it (``?ssl=require``): on
    loopback TLS costs a third of the CPU and protects nothing.
    """
    json = {"json_serializer": _dumps, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        return create_async_engine(url, **json)
    connect_args = {} if "ssl" in make_url(url).query else {"ssl": False}
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size,
                               pool_pre_ping=True, connect_args=connect_args, **json)


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def asyncpg_dsn(url: str) -> str:
    """A plain asyncpg DSN for a SQLAlchemy URL (same TLS rule as :func:`make_engine`)."""
    parsed = make_url(url).set(drivername="postgresql")
    if "ssl" not in parsed.query and "sslmode" not in parsed.query:
        parsed = parsed.update_query_dict({"sslmode": "disable"})
    return parsed.render_as_string(hide_password=False)


def migrate(url: str, versions: Path, revision: str = "head", schema: str | None = None) -> None:
    """Bring the database at ``url`` to ``revision`` with the migrations in ``versions``;
    with ``schema``, inside that PostgreSQL schema (tables and Alembic's version table).

    The one way either service migrates. Synchronous on purpose (Alembic runs its own event
    loop): call it from a CLI or a thread.
    """
    config = Config()
    config.set_main_option("script_location", str(_ALEMBIC_ENV))
    config.set_main_option("path_separator", "os")  # paths may contain spaces
    config.set_main_option("version_locations", str(versions))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if schema is not None:
        config.set_main_option("erk_schema", schema)
    command.upgrade(config, revision)


async def copy_rows(conn: AsyncConnection, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows into a PostgreSQL table inside the connection's current transaction."""
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table, records=list(rows), columns=list(columns))


def any_of(column: Any, values: Iterable[Any]) -> Any:
    """``column = ANY(:array)``: one SQL text whatever the number of values, so PostgreSQL
    prepares it once per connection (an IN list is new SQL for every length)."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
