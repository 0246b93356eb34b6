"""The roster: every registered employee, with the partition their events arrive on (a
period close covers the employees of its own partition). ``unit`` is the unit the employee
was registered with; the unit they belong to on a day follows their transfers
(``transfers.unit_on_day``; the roster listings: ``service_layer.roster``)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import EmployeeRegistered, Event

metadata = MetaData()

employees = Table(
    "employees", metadata,
    Column("nip", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("position", Text, nullable=False),
    Column("structural", Boolean, nullable=False),
    Column("employment_type", Text, nullable=False),
    Column("job_class", SmallInteger, nullable=False),
    Column("partition", Integer, nullable=False),
)


@dataclass
class Roster:
    rows: dict[str, Row] = field(default_factory=dict)
    """Employees registered (or registered again) in this batch."""
    registered: list[str] = field(default_factory=list)
    """Their NIPs in event order (a period close covers those before it)."""
    known_before: set[str] = field(default_factory=set)
    """Of ``registered``, those already on the roster before this batch."""


class Employees(Projection[Roster]):
    tables = (employees,)
    events: ClassVar[frozenset[type[Event]]] = frozenset({EmployeeRegistered})

    def start(self, batch: Batch) -> Roster:
        return Roster()

    async def load(self, conn: AsyncConnection, working: Roster, batch: Batch) -> None:
        registered = {e.nip for _, e, _ in batch.events if isinstance(e, EmployeeRegistered)}
        working.known_before = {row["nip"] for row in
                                await rows_where(conn, employees, employees.c.nip, registered)}

    def apply(self, working: Roster, envelope: EventHeader, event: Event,
              partition: int) -> None:
        assert isinstance(event, EmployeeRegistered)
        working.rows[event.nip] = {**event.model_dump(), "partition": partition}
        working.registered.append(event.nip)

    def rows(self, working: Roster) -> Iterable[tuple[Table, list[Row]]]:
        return [(employees, list(working.rows.values()))]


# -- queries ------------------------------------------------------------------------------------

async def employee(conn: AsyncConnection, nip: str) -> Row | None:
    row = (await conn.execute(select(employees).where(employees.c.nip == nip))).first()
    return dict(row._mapping) if row else None


async def by_nip(conn: AsyncConnection, nips: Iterable[str]) -> dict[str, Row]:
    return {row["nip"]: row for row in await rows_where(conn, employees, employees.c.nip, nips)}


async def on_partition(conn: AsyncConnection, partition: int) -> list[str]:
    """NIPs of the employees whose events arrive on ``partition``."""
    result = await conn.execute(select(employees.c.nip)
                                .where(employees.c.partition == partition))
    return list(result.scalars())
