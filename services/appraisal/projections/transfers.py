"""Transfers: the units an employee moved to and from which day (``EmployeeTransferred``).
The reporting line a transfer sets is the reporting lines projection's; this one keeps the
unit history that splits a month across units (``domain.units``)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Column, ColumnElement, Date, MetaData, Table, Text, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.domain.units import Assignment
from services.appraisal.projections.activities import activities
from services.appraisal.projections.base import Batch, Projection, Row
from services.appraisal.projections.employee_months import MINUTE_COLUMNS
from services.appraisal.projections.employees import employees
from shared.envelope import EventHeader
from shared.events import EmployeeTransferred, Event
from shared.periods import period_of

metadata = MetaData()

unit_assignments = Table(
    "unit_assignments", metadata,
    Column("nip", Text, primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("unit", Text, nullable=False),
    Column("position", BigInteger, nullable=False),
)


@dataclass
class Moves:
    rows: dict[tuple[str, object], Row] = field(default_factory=dict)
    from_period: dict[str, str] = field(default_factory=dict)
    """nip -> the first period a transfer of this batch changes (eligibility follows)."""


class Transfers(Projection[Moves]):
    tables = (unit_assignments,)
    events = frozenset({EmployeeTransferred})

    def start(self, batch: Batch) -> Moves:
        return Moves()

    def apply(self, working: Moves, envelope: EventHeader, event: Event,
              partition: int) -> None:
        assert isinstance(event, EmployeeTransferred)
        working.rows[(event.nip, event.effective_from)] = {
            "nip": event.nip, "effective_from": event.effective_from, "unit": event.unit,
            "position": envelope.position}
        period = period_of(event.effective_from)
        working.from_period[event.nip] = min(period, working.from_period.get(event.nip, period))

    def rows(self, working: Moves) -> Iterable[tuple[Table, list[Row]]]:
        return [(unit_assignments, list(working.rows.values()))]


# -- queries ------------------------------------------------------------------------------------

async def assignments_of(conn: AsyncConnection, nips: Iterable[str] | None = None) -> (
    dict[str, list[Assignment]]
):
    """nip -> its transfers as (first day, unit), of ``nips`` (None: everyone's)."""
    u = unit_assignments
    rows = (await rows_where(conn, u, u.c.nip, nips) if nips is not None
            else [dict(r._mapping) for r in await conn.execute(select(u))])
    found: dict[str, list[Assignment]] = defaultdict(list)
    for row in rows:
        found[row["nip"]].append((row["effective_from"], row["unit"]))
    return dict(found)


def unit_on_day(nip: ColumnElement[Any], day: ColumnElement[Any],
                registered: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQL for ``domain.units.unit_on``: the unit of the latest transfer of ``nip`` effective
    on or before ``day``, else ``registered`` (the employees row's unit)."""
    u = unit_assignments
    latest = (select(u.c.unit).where(u.c.nip == nip, u.c.effective_from <= day)
              .order_by(u.c.effective_from.desc()).limit(1).scalar_subquery())
    return func.coalesce(latest, registered)


async def unit_minutes(conn: AsyncConnection, unit: str, period: str) -> Row:
    """A unit's employees reporting in ``period`` and their minutes by status, each activity
    counted in the unit of its work date: a transfer on day D leaves the days before D with
    the old unit."""
    a, e = activities, employees
    rows = await conn.execute(
        select(a.c.status, a.c.nip, func.sum(a.c.minutes))
        .select_from(a.join(e, e.c.nip == a.c.nip))
        .where(a.c.period == period, unit_on_day(a.c.nip, a.c.work_date, e.c.unit) == unit)
        .group_by(a.c.status, a.c.nip))
    minutes = dict.fromkeys(MINUTE_COLUMNS, 0)
    reporting: set[str] = set()
    for status, nip, total in rows:
        minutes[status] += int(total)
        reporting.add(nip)
    return {"employees_reporting": len(reporting), "minutes": minutes}
