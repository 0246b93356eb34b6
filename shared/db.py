"""Database plumbing both services use: engines and migrations."""

import errno
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import any_, bindparam
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

_ALEMBIC_ENV = Path(__file__).parent / "alembic"


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """An async engine; SQLite files get no pool settings (they do not take them).

    PostgreSQL connections use TLS only when the URL asks for it (``?ssl=require``): on
    loopback TLS costs a third of the CPU and protects nothing.
    """
    # hide_parameters: a statement's values (NIPs, names, comments) never reach an
    # exception's text, so no log line or traceback carries them (UU PDP)
    options = {"json_serializer": _dumps, "json_deserializer": orjson.loads,
               "hide_parameters": True}
    if url.startswith("sqlite"):
        return create_async_engine(url, **options)
    connect_args = {} if "ssl" in make_url(url).query else {"ssl": False}
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size,
                               pool_pre_ping=True, connect_args=connect_args, **options)


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


# SQLSTATE classes meaning "the database went away", not "your statement is wrong":
# 08 connection exception, 57P01-57P03 admin/crash shutdown and "cannot connect now"
# (the database system is starting up or shutting down), 53300 too many connections.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached (refused, reset, terminated,
    shutting down, pool exhausted) rather than that a statement failed. Walks the chain
    of causes: SQLAlchemy wraps asyncpg, which may wrap an OSError. (A running service's
    view: ``shared.cli.unreachable`` is the operator commands', which also counts a wrong
    database name or password, a setting to fix rather than an outage to wait out.)"""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _names_an_outage(current):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def _names_an_outage(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror | asyncpg.InterfaceError
                  | sa_exc.TimeoutError):
        return True  # the SQLAlchemy TimeoutError is the pool's: no connection to be had
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES)
