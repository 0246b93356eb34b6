"""The record of who read whose personal data, when, through which endpoint (UU PDP art.
31 and 32: a data subject's access export lists it).

Not a projection: it is not a function of the event history (reads are not events), so it
is never replayed nor checksummed, like the consumer's bookkeeping. Rows are written once
per request, all its reads in one INSERT after the answer is ready."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

metadata = MetaData()
_Id = BigInteger().with_variant(Integer, "sqlite")

personal_data_reads = Table(
    "personal_data_reads", metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("read_at", DateTime(timezone=True), nullable=False),
    Column("subject_nip", Text, nullable=False),
    Column("reader", Text, nullable=False),
    Column("reader_role", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Index("personal_data_reads_subject", "subject_nip", "read_at"),
)


@dataclass(frozen=True)
class PersonalRead:
    """One read of ``subject_nip``'s personal data by ``reader`` (a NIP, an e-service id
    or 'admin') in role ``reader_role``, through ``endpoint`` (the route's template, e.g.
    ``GET /v1/employees/{nip}``: never the path, which may hold another NIP)."""

    read_at: datetime
    subject_nip: str
    reader: str
    reader_role: str
    endpoint: str


async def record(engine: AsyncEngine, reads: Sequence[PersonalRead]) -> None:
    """Store a request's reads in one statement (nothing when there were none)."""
    if not reads:
        return
    async with engine.begin() as conn:
        await conn.execute(personal_data_reads.insert(), [vars(read) for read in reads])


async def reads_of(conn: AsyncConnection, nip: str) -> list[dict[str, Any]]:
    """Every recorded read of ``nip``'s data, oldest first."""
    r = personal_data_reads.c
    rows = await conn.execute(select(r.read_at, r.reader, r.reader_role, r.endpoint)
                              .where(r.subject_nip == nip).order_by(r.read_at, r.id))
    return [dict(row._mapping) for row in rows]
