"""Employees' personal finance data (NPWP, bank account), latest recorded wins. Personal
data: read by the payroll (treasurer, admin) and shown masked to everyone else
(``domain.payroll.masked``)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Column, MetaData, Table, Text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import Event, FinanceDataRecorded

metadata = MetaData()

employee_finance = Table(
    "employee_finance", metadata,
    Column("nip", Text, primary_key=True),
    Column("npwp", Text, nullable=False),
    Column("bank_name", Text, nullable=False),
    Column("bank_account", Text, nullable=False),
    Column("position", BigInteger, nullable=False),
)


@dataclass
class Recorded:
    rows: dict[str, Row] = field(default_factory=dict)


class Finance(Projection[Recorded]):
    tables = (employee_finance,)
    events = frozenset({FinanceDataRecorded})

    def start(self, batch: Batch) -> Recorded:
        return Recorded()

    def apply(self, working: Recorded, envelope: EventHeader, event: Event,
              partition: int) -> None:
        assert isinstance(event, FinanceDataRecorded)
        working.rows[event.nip] = {**event.model_dump(), "position": envelope.position}

    def rows(self, working: Recorded) -> Iterable[tuple[Table, list[Row]]]:
        return [(employee_finance, list(working.rows.values()))]


# -- queries ------------------------------------------------------------------------------------

async def by_nip(conn: AsyncConnection, nips: Iterable[str]) -> dict[str, Row]:
    found = await rows_where(conn, employee_finance, employee_finance.c.nip, nips)
    return {row["nip"]: row for row in found}
