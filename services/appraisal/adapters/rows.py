"""Bulk row helpers that work the same on PostgreSQL and SQLite.

On PostgreSQL large upserts go through COPY into a temporary table and one
``INSERT ... SELECT ... ON CONFLICT``: several times faster than multi-row VALUES.
"""

from collections.abc import Iterable
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Select, Table, Tuple, any_, bindparam, func, select, tuple_
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
    if conn.dialect.name == "postgresql":
        return await _rows_in_arrays(conn, table, column, keys)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(keys), CHUNK):
        result = await conn.execute(select(table).where(column.in_(keys[start:start + CHUNK])))
        rows.extend(dict(row._mapping) for row in result)
    return rows


async def _rows_in_arrays(conn: AsyncConnection, table: Table, column: Any,
                          keys: list[Any]) -> list[dict[str, Any]]:
    # One statement whatever the number of keys: the keys travel as arrays, one per column,
    # so the statement is compiled once per table and no IN list is rendered per batch.
    if not keys:
        return []
    columns = tuple(column.clauses) if isinstance(column, Tuple) else (column,)
    statement = _select_in_arrays(table, columns)
    values = [keys] if len(columns) == 1 else [list(part) for part in zip(*keys, strict=True)]
    result = await conn.execute(statement, {f"keys_{i}": v for i, v in enumerate(values)})
    return [dict(row._mapping) for row in result]


@cache
def _select_in_arrays(table: Table, columns: tuple[Any, ...]) -> Select[Any]:
    arrays = [bindparam(f"keys_{i}", type_=postgresql.ARRAY(c.type))
              for i, c in enumerate(columns)]
    if len(columns) == 1:
        return select(table).where(columns[0] == any_(arrays[0]))
    wanted = func.unnest(*arrays).table_valued(
        *(f"key_{i}" for i in range(len(columns)))).render_derived()
    return select(table).where(tuple_(*columns).in_(select(*wanted.c)))


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
    staging, columns, upsert_sql = _copy_statements(table)
    # one round trip: the staging table exists after the first batch, and is empty at the
    # start of every transaction (ON COMMIT DELETE ROWS), but maybe not within one
    await driver.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{staging}" (LIKE "{table.name}") '
                         f'ON COMMIT DELETE ROWS; TRUNCATE "{staging}"')
    await driver.copy_records_to_table(staging, records=_records(table, columns, rows),
                                       columns=columns)
    await driver.execute(upsert_sql)


@cache
def _copy_statements(table: Table) -> tuple[str, list[str], str]:
    """The staging table's name, the columns in order, and the merge from staging."""
    staging = f"staging_{table.name}"
    columns = [c.name for c in table.columns]
    keys = [c.name for c in table.primary_key.columns]
    quoted = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c not in keys)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return staging, columns, (f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} '
                              f'FROM "{staging}" ON CONFLICT ({", ".join(keys)}) {action}')


def _records(table: Table, columns: list[str], rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows as tuples in column order, JSON columns encoded as text."""
    json_at = [i for i, c in enumerate(table.columns) if isinstance(c.type, JSON)]
    if len(columns) == 1:
        return [(row[columns[0]],) for row in rows]
    in_order = itemgetter(*columns)
    if not json_at:
        return [in_order(row) for row in rows]
    records = []
    for row in rows:
        values = list(in_order(row))
        for i in json_at:
            values[i] = orjson.dumps(values[i]).decode()
        records.append(tuple(values))
    return records
