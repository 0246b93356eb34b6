"""Discipline per employee and month (``discipline_months``): days expected and present,
lateness and leaving early by tier, absences justified or not, the percentage after the
policy's deductions and its reasons, provisional or final. Computed by
``domain.discipline`` from the attendance projection's rows as they stand after the batch,
so, like eligibility, it is written after them.

Which months a batch recomputes: those whose attendance or justifications changed; every
month with attendance of an employee registered again (the unit, so the calendar, may have
changed) that is not closed; every open month with attendance of an employee transferred,
from the transfer's month on (a row's unit is that of the month's last day); for a policy,
every month with attendance of its partition from the policy's first period on, closed ones
excepted (what was final stays final); for a close, every month of the closed period with
attendance of its partition (now final, counted over the whole month). Only the event
order decides, never the batches' cuts.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import upsert
from services.appraisal.domain.discipline import AttendanceDay, Justification, discipline_month
from services.appraisal.domain.eligibility import Inputs
from services.appraisal.domain.units import unit_on
from services.appraisal.projections import (
    attendance,
    closed_periods,
    employees,
    policies,
    transfers,
)
from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import EmployeeRegistered, Event, PeriodClosed, PolicyPublished
from shared.periods import last_day

metadata = MetaData()

discipline_months = Table(
    "discipline_months", metadata,
    Column("nip", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("unit", Text, nullable=False),
    Column("policy_version", Text, nullable=False),
    Column("days_expected", Integer, nullable=False),
    Column("days_present", Integer, nullable=False),
    Column("late_minutes", Integer, nullable=False),
    Column("late_days_by_tier", JSON, nullable=False),
    Column("left_early_minutes", Integer, nullable=False),
    Column("left_early_days_by_tier", JSON, nullable=False),
    Column("absent_justified", Integer, nullable=False),
    Column("absent_unjustified", Integer, nullable=False),
    Column("deduction_pct", Numeric(7, 2), nullable=False),
    Column("percentage", Numeric(5, 2), nullable=False),
    Column("state", Text, nullable=False),
    Column("counted_through", Date),
    Column("reasons", JSON, nullable=False),
    Index("discipline_months_period_unit", "period", "unit"),
)

Key = tuple[str, str]


@dataclass(frozen=True)
class Sweep:
    partition: int
    period: str
    closing: bool
    units: dict[str, str] = field(default_factory=dict)
    """For a close: the units of the batch's registrations before it (a closed month is
    computed with the unit its employee had at the close, whatever came after)."""


@dataclass
class Recomputation:
    attendance: attendance.Attendance
    roster: employees.Roster
    moves: transfers.Moves
    units_before: dict[str, str] = field(default_factory=dict)
    """The units, before the batch, of the employees it registers."""
    sweeps: list[Sweep] = field(default_factory=list)


class Discipline(Projection[Recomputation]):
    tables = (discipline_months,)
    events = frozenset({PolicyPublished, PeriodClosed, EmployeeRegistered})

    def start(self, batch: Batch) -> Recomputation:
        return Recomputation(batch.working(attendance.AttendanceDays),
                             batch.working(employees.Employees),
                             batch.working(transfers.Transfers))

    async def load(self, conn: AsyncConnection, working: Recomputation, batch: Batch) -> None:
        registered = {e.nip for _, e, _ in batch.events if isinstance(e, EmployeeRegistered)}
        if registered:
            found = await employees.by_nip(conn, registered)
            working.units_before = {nip: row["unit"] for nip, row in found.items()}

    def apply(self, working: Recomputation, envelope: EventHeader, event: Event,
              partition: int) -> None:
        match event:
            case PolicyPublished():
                working.sweeps.append(Sweep(partition, event.effective_from, closing=False))
            case PeriodClosed():
                units = working.units_before | {
                    nip: row["unit"] for nip, row in working.roster.rows.items()}
                working.sweeps.append(Sweep(partition, event.period, closing=True,
                                            units=units))

    async def write(self, conn: AsyncConnection, working: Recomputation, batch: Batch) -> None:
        closed = await closed_periods.closes(conn)
        keys: dict[Key, str | None] = dict.fromkeys(working.attendance.changed)
        registered = set(working.roster.registered)
        if registered:
            found = await attendance.months_with_attendance(conn, registered, None)
            keys |= dict.fromkeys(found - closed_keys(found, closed))
        for nip, since in working.moves.from_period.items():  # their unit follows
            found = await attendance.months_with_attendance(conn, [nip], since)
            for key in found - closed_keys(found, closed):
                keys.setdefault(key, None)
        for sweep in working.sweeps:
            found = await attendance.months_with_attendance(
                conn, await employees.on_partition(conn, sweep.partition), sweep.period)
            if sweep.closing:
                keys |= {key: sweep.units.get(key[0]) for key in found
                         if key[1] == sweep.period}
            else:  # a close's unit, if any, stays
                for key in found - closed_keys(found, closed):
                    keys.setdefault(key, None)
        if keys:
            await upsert(conn, discipline_months, await compute(conn, keys, closed))


def closed_keys(keys: set[Key], closed: dict[str, int]) -> set[Key]:
    return {key for key in keys if key[1] in closed}


async def compute(conn: AsyncConnection, keys: dict[Key, str | None],
                  closed: dict[str, int]) -> list[Row]:
    """The discipline rows of ``keys`` (with the unit to use, when not the roster's
    current one) from the stored attendance; months without an employee on the roster or
    a governing policy have none."""
    roster = await employees.by_nip(conn, {nip for nip, _ in keys})
    moved = await transfers.assignments_of(conn, {nip for nip, _ in keys})
    governing = Inputs({}, {}, {}, await policies.all_policies(conn), closed)
    days = await attendance.days_of(conn, set(keys))
    justified = await attendance.justifications_of(conn, set(keys))
    rows = []
    for nip, period in sorted(keys):
        employee, policy = roster.get(nip), governing.policy_for(period)
        if employee is None or policy is None:
            continue
        # the unit of the month's last day, as eligibility's: after a transfer, the new one
        unit = unit_on(moved.get(nip, []), keys[(nip, period)] or employee["unit"],
                       last_day(period))
        month = discipline_month(
            nip, period, unit,
            [AttendanceDay(r["day"], r["check_in"], r["check_out"], r["absent"],
                           r["absence_reason"]) for r in days[(nip, period)]],
            [Justification(r["first_day"], r["last_day"], r["reason"], r["status"],
                           r["submitted_on"]) for r in justified[(nip, period)]],
            policy, final=period in closed)
        rows.append({
            "nip": nip, "period": period, "unit": unit,
            "policy_version": month.policy_version, "days_expected": month.days_expected,
            "days_present": month.days_present, "late_minutes": month.late_minutes,
            "late_days_by_tier": list(month.late_days_by_tier),
            "left_early_minutes": month.left_early_minutes,
            "left_early_days_by_tier": list(month.left_early_days_by_tier),
            "absent_justified": month.absent_justified,
            "absent_unjustified": month.absent_unjustified,
            "deduction_pct": month.deduction_pct, "percentage": month.percentage,
            "state": month.state, "counted_through": month.counted_through,
            "reasons": list(month.reasons)})
    return rows


# -- queries ------------------------------------------------------------------------------------

def _plain(row: Row) -> Row:
    """Numbers as JSON numbers (two decimals at most)."""
    return {**row, **{name: float(Decimal(row[name]).quantize(Decimal("0.01")))
                      for name in ("deduction_pct", "percentage")}}


async def row_of(conn: AsyncConnection, nip: str, period: str) -> Row | None:
    d = discipline_months
    row = (await conn.execute(select(d).where(d.c.nip == nip, d.c.period == period))).first()
    return _plain(dict(row._mapping)) if row else None


async def unit_page(conn: AsyncConnection, unit: str, period: str, offset: int,
                    limit: int) -> Row:
    """A page of a unit's discipline rows for a month, by NIP."""
    d = discipline_months
    where = [d.c.period == period, d.c.unit == unit]
    total = await conn.scalar(select(func.count()).select_from(d).where(*where))
    rows = await conn.execute(select(d).where(*where).order_by(d.c.nip)
                              .offset(offset).limit(limit))
    return {"unit": unit, "period": period, "total": total, "offset": offset,
            "items": [_plain(dict(r._mapping)) for r in rows]}
