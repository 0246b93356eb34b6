"""Bulk row helpers that work the same on PostgreSQL and SQLite."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

CHUNK = 1000
"""Rows (or keys) per statement: bounded statements, bounded memory."""


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
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    keys = [c.name for c in table.primary_key.columns]
    for start in range(0, len(rows), CHUNK):
        statement = dialect.insert(table)
        others = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
        statement = (statement.on_conflict_do_update(index_elements=keys, set_=others)
                     if others else statement.on_conflict_do_nothing(index_elements=keys))
        await conn.execute(statement, rows[start:start + CHUNK])
