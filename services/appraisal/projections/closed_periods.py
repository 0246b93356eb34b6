"""Closed periods, with the global position of their close (what was final stays final: a
closed period keeps the policy published before its close)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Column, MetaData, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import Event, PeriodClosed

metadata = MetaData()

closed_periods = Table(
    "closed_periods", metadata,
    Column("period", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
)


@dataclass
class Closes:
    rows: dict[str, Row] = field(default_factory=dict)


class ClosedPeriods(Projection[Closes]):
    tables = (closed_periods,)
    events = frozenset({PeriodClosed})

    def start(self, batch: Batch) -> Closes:
        return Closes()

    def apply(self, working: Closes, envelope: EventHeader, event: Event,
              partition: int) -> None:
        assert isinstance(event, PeriodClosed)
        working.rows[event.period] = {"period": event.period, "position": envelope.position}

    def rows(self, working: Closes) -> Iterable[tuple[Table, list[Row]]]:
        return [(closed_periods, list(working.rows.values()))]


# -- queries ------------------------------------------------------------------------------------

async def closes(conn: AsyncConnection) -> dict[str, int]:
    """Closed period -> global position of its close."""
    rows = await conn.execute(select(closed_periods.c.period, closed_periods.c.position))
    return {row.period: row.position for row in rows}
