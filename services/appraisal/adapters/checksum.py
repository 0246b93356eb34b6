"""Checksums of projection tables that compare equal across PostgreSQL and SQLite.

Each row is written in one canonical form (UTC ISO times, sorted-key JSON, rounded floats)
and hashed; a table's checksum is the row count and the sum of its row hashes modulo 2^256.
The sum does not depend on row order, so it streams in any order with flat memory.
"""

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.projections import REGISTRY
from services.appraisal.projections.registry import Registry

MODULUS = 2**256


def canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, Decimal):  # PostgreSQL keeps its scale (97.50), SQLite may not
        return f"{value.normalize():f}"
    return value


def row_digest(table: Table, row: Any) -> int:
    values = [canonical_value(row[column.name]) for column in table.columns]
    encoded = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
    return int.from_bytes(hashlib.sha256(encoded).digest(), "big")


async def table_checksum(conn: AsyncConnection, table: Table) -> tuple[int, str]:
    """(row count, hex checksum) of one table."""
    count, total = 0, 0
    result = await conn.stream(select(table).execution_options(yield_per=5000))
    async for row in result.mappings():
        count += 1
        total = (total + row_digest(table, row)) % MODULUS
    return count, f"{total:064x}"


async def table_checksums(conn: AsyncConnection,
                          registry: Registry = REGISTRY) -> dict[str, tuple[int, str]]:
    """Checksums of every registered projection's tables (consumer bookkeeping excluded)."""
    return {table.name: await table_checksum(conn, table) for table in registry.tables}
