"""Payment orders (SP2D) by month and unit: the latest recorded is the reference shown."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Column, Date, MetaData, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import Event, PaymentRecorded

metadata = MetaData()

payments = Table(
    "payments", metadata,
    Column("period", Text, primary_key=True),
    Column("unit", Text, primary_key=True),
    Column("sp2d_number", Text, nullable=False),
    Column("sp2d_date", Date, nullable=False),
    Column("position", BigInteger, nullable=False),
)


@dataclass
class Orders:
    rows: dict[tuple[str, str], Row] = field(default_factory=dict)
    """Changed rows."""
    stored: dict[tuple[str, str], int] = field(default_factory=dict)
    """Position of the stored row of each (period, unit) the batch names."""


class Payments(Projection[Orders]):
    tables = (payments,)
    events = frozenset({PaymentRecorded})

    def start(self, batch: Batch) -> Orders:
        return Orders()

    async def load(self, conn: AsyncConnection, working: Orders, batch: Batch) -> None:
        periods = {e.period for _, e, _ in batch.events if isinstance(e, PaymentRecorded)}
        if periods:
            p = payments
            rows = await conn.execute(select(p.c.period, p.c.unit, p.c.position)
                                      .where(p.c.period.in_(sorted(periods))))
            working.stored = {(r.period, r.unit): r.position for r in rows}

    def apply(self, working: Orders, envelope: EventHeader, event: Event,
              partition: int) -> None:
        # broadcast on every partition, and partitions run at their own pace: a lagging
        # partition's copy of an older order must not undo a correction applied already
        assert isinstance(event, PaymentRecorded)
        key, position = (event.period, event.unit), envelope.position or 0
        if position <= working.stored.get(key, 0):
            return
        working.stored[key] = position
        working.rows[key] = {**event.model_dump(), "position": position}

    def rows(self, working: Orders) -> Iterable[tuple[Table, list[Row]]]:
        return [(payments, list(working.rows.values()))]


# -- queries ------------------------------------------------------------------------------------

async def payment(conn: AsyncConnection, period: str, unit: str) -> Row | None:
    p = payments
    row = (await conn.execute(select(p).where(p.c.period == period, p.c.unit == unit))).first()
    return dict(row._mapping) if row else None
