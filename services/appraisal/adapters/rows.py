"""Bulk row helpers that work the same on PostgreSQL and SQLite.

On PostgreSQL large upserts go through COPY into a temporary table and one
``INSERT ... SELECT ... ON CONFLICT``: several times faster than multi-row VALUES.
"""

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import JSON, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

CHUNK = 1000
"""Rows (or keys) per statement: bounded statements, bounded memory."""
COPY_FROM = 200
"""Upserts of at least this many rows use COPY on PostgreSQL."""


async def rows_where(conn: AsyncConnection, table: Table, column: Any,
                     keys: Iterable[Any]) -> list[dict[str, Any]]:
    """Rows of ``table`` whose ``column`` (or column tuple) is one of ``keys``."""
    keys = list(keys)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(keys), CHUNK):
        result = await conn.execute(select(table).where(column.in_(keys[start:start + CHUNK])))
        rows.extend(dict(row._mapping) for row in result)
    return rows


async def upsert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, replacing those with the same primary key."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        await _copy_upsert(conn, table, rows)
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    keys = [c.name for c in table.primary_key.columns]
    for start in range(0, len(rows), CHUNK):
        statement = dialect.insert(table)
        others = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
        statement = (statement.on_conflict_do_update(index_elements=keys, set_=others)
                     if others else statement.on_conflict_do_nothing(index_elements=keys))
        await conn.execute(statement, rows[start:start + CHUNK])


async def _copy_upsert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection  # the asyncpg connection, inside our transaction
    assert driver is not None
    staging = f"staging_{table.name}"
    columns = [c.name for c in table.columns]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    await driver.execute(
        f'CREATE TEMP TABLE IF NOT EXISTS "{staging}" (LIKE "{table.name}") '
        f"ON COMMIT DELETE ROWS")
    await driver.execute(f'TRUNCATE "{staging}"')
    records = [tuple(orjson.dumps(row[c]).decode() if c in json_columns else row[c]
                     for c in columns) for row in rows]
    await driver.copy_records_to_table(staging, records=records, columns=columns)
    keys = [c.name for c in table.primary_key.columns]
    quoted = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c not in keys)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    await driver.execute(
        f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{staging}" '
        f"ON CONFLICT ({', '.join(keys)}) {action}")
