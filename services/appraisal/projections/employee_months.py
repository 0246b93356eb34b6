"""Minutes per employee and month, by validation status: the sum over the month's
activities. It follows the activities projection's moves (minutes joining or leaving a
status of a month), so decisions, revisions and closes need no rule of their own here."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Column, Integer, MetaData, Table, Text, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.projections.activities import Activities, ActivityRows
from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import ActivityReported, ActivityRevised, Event
from shared.periods import period_of

metadata = MetaData()

employee_months = Table(
    "employee_months", metadata,
    Column("nip", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("pending_minutes", Integer, nullable=False),
    Column("approved_minutes", Integer, nullable=False),
    Column("rejected_minutes", Integer, nullable=False),
    Column("revision_minutes", Integer, nullable=False),
    Column("activities", Integer, nullable=False),
    # migration appraisal_0003: still waiting when the period closed (not validated in time)
    Column("not_validated_minutes", Integer, nullable=False, server_default="0"),
)

MINUTE_COLUMNS = {"pending": "pending_minutes", "approved": "approved_minutes",
                  "rejected": "rejected_minutes", "revision_requested": "revision_minutes",
                  "not_validated": "not_validated_minutes"}
Key = tuple[str, str]


@dataclass
class MonthFigures:
    activities: ActivityRows
    rows: dict[Key, Row] = field(default_factory=dict)
    changed: set[Key] = field(default_factory=set)
    """Employee-months whose figures the batch changed (their eligibility follows)."""

    def month(self, nip: str, period: str) -> Row:
        key = (nip, period)
        if key not in self.rows:
            self.rows[key] = {"nip": nip, "period": period, "pending_minutes": 0,
                              "approved_minutes": 0, "rejected_minutes": 0,
                              "revision_minutes": 0, "not_validated_minutes": 0,
                              "activities": 0}
        self.changed.add(key)
        return self.rows[key]


class EmployeeMonths(Projection[MonthFigures]):
    tables = (employee_months,)
    events = Activities.events
    """After the activities projection applied one of these, its moves are added up."""

    def start(self, batch: Batch) -> MonthFigures:
        return MonthFigures(batch.working(Activities))

    async def load(self, conn: AsyncConnection, working: MonthFigures, batch: Batch) -> None:
        """The months the batch's activities stand in now, and those its reports and
        revisions move them to."""
        keys = {(e.nip, period_of(e.work_date)) for _, e, _ in batch.events
                if isinstance(e, ActivityReported | ActivityRevised)}
        keys |= {(a["nip"], a["period"]) for a in working.activities.rows.values()}
        columns = tuple_(employee_months.c.nip, employee_months.c.period)
        for row in await rows_where(conn, employee_months, columns, keys):
            working.rows[(row["nip"], row["period"])] = row

    def apply(self, working: MonthFigures, envelope: EventHeader, event: Event,
              partition: int) -> None:
        for nip, period, status, minutes, count in working.activities.moves:
            month = working.month(nip, period)
            month[MINUTE_COLUMNS[status]] += minutes
            month["activities"] += count
        working.activities.moves.clear()

    def rows(self, working: MonthFigures) -> Iterable[tuple[Table, list[Row]]]:
        return [(employee_months, [working.rows[key] for key in working.changed])]


# -- queries ------------------------------------------------------------------------------------

async def month_of(conn: AsyncConnection, nip: str, period: str) -> Row | None:
    m = employee_months
    row = (await conn.execute(select(m).where(m.c.nip == nip, m.c.period == period))).first()
    return dict(row._mapping) if row else None


async def by_key(conn: AsyncConnection, keys: Iterable[Key]) -> dict[Key, Row]:
    columns = tuple_(employee_months.c.nip, employee_months.c.period)
    return {(r["nip"], r["period"]): r
            for r in await rows_where(conn, employee_months, columns, keys)}


async def reported_periods(conn: AsyncConnection) -> list[tuple[str, int, int]]:
    """(period, employees, activities) of every period with reported work, newest first."""
    m = employee_months
    rows = await conn.execute(select(m.c.period, func.count(), func.sum(m.c.activities))
                              .group_by(m.c.period).order_by(m.c.period.desc()))
    return [(p, n, int(a or 0)) for p, n, a in rows]
