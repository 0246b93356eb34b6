"""The distribution-curve checks intake recorded before a period's close
(``DistributionChecked``): what was known at the close, one row per check (a refused early
close's check too), in the order recorded."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import JSON, BigInteger, Column, MetaData, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import DistributionChecked, Event

metadata = MetaData()

distribution_checks = Table(
    "distribution_checks", metadata,
    Column("period", Text, primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("reflects_position", BigInteger, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("close_action", Text, nullable=False),
    Column("units", JSON, nullable=False),
)
"""``position``: the check's own global position; ``reflects_position``: where appraisal's
projections stood when intake read the check (the events between the two were not in it)."""


@dataclass
class Checks:
    rows: dict[tuple[str, int | None], Row] = field(default_factory=dict)


class DistributionChecks(Projection[Checks]):
    tables = (distribution_checks,)
    events = frozenset({DistributionChecked})

    def start(self, batch: Batch) -> Checks:
        return Checks()

    def apply(self, working: Checks, envelope: EventHeader, event: Event,
              partition: int) -> None:
        """A broadcast (on every partition, one position): the same row each time."""
        assert isinstance(event, DistributionChecked)
        working.rows[(event.period, envelope.position)] = {
            "period": event.period, "position": envelope.position,
            "reflects_position": event.position, "outcome": event.outcome,
            "close_action": event.close_action,
            "units": [unit.model_dump(mode="json") for unit in event.units]}

    def rows(self, working: Checks) -> Iterable[tuple[Table, list[Row]]]:
        return [(distribution_checks, list(working.rows.values()))]


# -- queries ------------------------------------------------------------------------------------

async def checks_of(conn: AsyncConnection, period: str) -> list[Row]:
    """The period's recorded checks, oldest first."""
    d = distribution_checks
    rows = await conn.execute(select(d).where(d.c.period == period).order_by(d.c.position))
    return [dict(row._mapping) for row in rows]
