"""Allowance eligibility per employee and month: policy version, figures, category,
percentage, reasons, provisional or final. Derived from the other projections' rows as they
stand after the batch (so it is written last), by ``domain.eligibility``.

Which employee-months a batch recomputes: those whose minutes or reviews it changed, and the
sweeps its broadcast events ask for. A period close covers every employee of its partition
on the roster at that point of the stream; a policy covers every employee-month of its
partition that has figures or a row, from its first period on (closed periods keep what they
had). Both depend only on the event order, never on how the stream was cut into batches.
"""

from dataclasses import dataclass, field

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    false,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import upsert
from services.appraisal.domain.eligibility import REGIME_2013_DEFAULTS, Inputs, compute_rows
from services.appraisal.projections import (
    behaviour_reviews,
    closed_periods,
    employee_months,
    employees,
    objections,
    policies,
    skp,
    transfers,
)
from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import Event, PeriodClosed, PolicyPublished

metadata = MetaData()

eligibility = Table(
    "eligibility", metadata,
    Column("nip", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("unit", Text, nullable=False),
    Column("policy_version", Text, nullable=False),
    Column("approved_minutes", Integer, nullable=False),
    Column("target_minutes", Integer, nullable=False),
    Column("results_pct", Float),
    Column("behaviour_score", Float),
    Column("score", Float),
    Column("category", Text, nullable=False),
    Column("allowance_pct", Float, nullable=False),
    Column("state", Text, nullable=False),
    Column("reasons", JSON, nullable=False),
    # PermenPANRB 6/2022 (appraisal migration 0008): the regime, and under 2022 the
    # predicate and the ratings (derived, override, final); score is null under 2022, and
    # results_pct (the SKP achievement) too without an SKP
    Column("regime", Text, nullable=False, server_default="2013"),
    Column("predicate", Text),
    Column("ratings", JSON),
    # migration appraisal_0009: the objection's status (under_objection, upheld, rejected)
    # or NULL, and whether the allowance may be paid (final, not under objection)
    Column("objection", Text),
    Column("payable", Boolean, nullable=False, server_default=false()),
    Index("eligibility_period_unit", "period", "unit"),
)

Key = tuple[str, str]


@dataclass(frozen=True)
class Sweep:
    """Recompute one partition's employee-months after a broadcast event."""

    partition: int
    period: str
    closing: bool
    registered_before: int = 0
    """For a close: how many of the batch's registrations came before it."""


@dataclass
class Recomputation:
    roster: employees.Roster
    months: employee_months.MonthFigures
    reviews: behaviour_reviews.Reviews
    plans: skp.Plans
    objections: objections.Filed
    transfers: transfers.Moves
    sweeps: list[Sweep] = field(default_factory=list)


class Eligibility(Projection[Recomputation]):
    tables = (eligibility,)
    events = frozenset({PolicyPublished, PeriodClosed})

    def start(self, batch: Batch) -> Recomputation:
        return Recomputation(batch.working(employees.Employees),
                             batch.working(employee_months.EmployeeMonths),
                             batch.working(behaviour_reviews.BehaviourReviews),
                             batch.working(skp.Skps),
                             batch.working(objections.Objections),
                             batch.working(transfers.Transfers))

    def apply(self, working: Recomputation, envelope: EventHeader, event: Event,
              partition: int) -> None:
        match event:
            case PolicyPublished():
                working.sweeps.append(Sweep(partition, event.effective_from, closing=False))
            case PeriodClosed():
                working.sweeps.append(Sweep(partition, event.period, closing=True,
                                            registered_before=len(working.roster.registered)))

    async def write(self, conn: AsyncConnection, working: Recomputation, batch: Batch) -> None:
        keys = (working.months.changed | working.reviews.rated | working.plans.changed
                | working.objections.changed)
        keys |= await _transferred_keys(conn, working.transfers)
        for sweep in working.sweeps:
            keys |= await (_closing_keys(conn, working.roster, sweep) if sweep.closing
                           else _policy_keys(conn, sweep))
        if keys:
            inputs = await load_inputs(conn, keys)
            await upsert(conn, eligibility, [{**REGIME_2013_DEFAULTS, **row}
                                             for row in compute_rows(inputs, sorted(keys))])


async def _closing_keys(conn: AsyncConnection, roster: employees.Roster,
                        sweep: Sweep) -> set[Key]:
    """Every employee of the partition on the roster when the period closed."""
    on_roster = roster.known_before | set(roster.registered[:sweep.registered_before])
    joined_later = set(roster.registered[sweep.registered_before:]) - on_roster
    return {(nip, sweep.period) for nip in await employees.on_partition(conn, sweep.partition)
            if nip not in joined_later}


async def _transferred_keys(conn: AsyncConnection, moves: transfers.Moves) -> set[Key]:
    """The open employee-months with a row from a transfer's month on: their unit follows."""
    if not moves.from_period:
        return set()
    closed = await closed_periods.closes(conn)
    el = eligibility
    result = await conn.execute(select(el.c.nip, el.c.period)
                                .where(el.c.nip.in_(list(moves.from_period))))
    return {(row.nip, row.period) for row in result
            if row.period >= moves.from_period[row.nip] and row.period not in closed}


async def _policy_keys(conn: AsyncConnection, sweep: Sweep) -> set[Key]:
    """Every employee-month of the partition with figures or a row, from the policy on;
    closed periods keep what they had."""
    closed = await closed_periods.closes(conn)
    e = employees.employees
    keys: set[Key] = set()
    for table in (employee_months.employee_months, eligibility):
        result = await conn.execute(
            select(table.c.nip, table.c.period).join(e, e.c.nip == table.c.nip)
            .where(e.c.partition == sweep.partition, table.c.period >= sweep.period))
        keys |= {(row.nip, row.period) for row in result if row.period not in closed}
    return keys


# -- queries ------------------------------------------------------------------------------------

async def load_inputs(conn: AsyncConnection, keys: set[Key]) -> Inputs:
    """The projected figures eligibility (and the running month's pace) is computed from."""
    plans, realisations, decisions = await skp.plans_of(conn, keys)
    return Inputs(
        employees=await employees.by_nip(conn, {nip for nip, _ in keys}),
        months=await employee_months.by_key(conn, keys),
        reviews=await behaviour_reviews.reviews_of(conn, keys),
        policies=await policies.all_policies(conn),
        closed=await closed_periods.closes(conn),
        skps=plans, realisations=realisations, decisions=decisions,
        objections=await objections.of_keys(conn, keys),
        units=await transfers.assignments_of(conn, {nip for nip, _ in keys}),
    )


def shown(row: Row) -> Row:
    """A row as the API shows it: a 2013 row exactly as before regimes existed (its 2022
    columns are their defaults), a 2022 row with its regime, predicate and ratings."""
    if row["regime"] == "2013":
        return {k: v for k, v in row.items() if k not in REGIME_2013_DEFAULTS}
    return row


async def row_of(conn: AsyncConnection, nip: str, period: str) -> Row | None:
    el = eligibility
    row = (await conn.execute(select(el).where(el.c.nip == nip,
                                               el.c.period == period))).first()
    return shown(dict(row._mapping)) if row else None


async def page(conn: AsyncConnection, period: str, unit: str | None, offset: int,
               limit: int) -> Row:
    """A page of a period's eligibility list (optionally one unit's), by NIP."""
    el = eligibility
    where = [el.c.period == period] + ([el.c.unit == unit] if unit else [])
    total = await conn.scalar(select(func.count()).select_from(el).where(*where))
    rows = await conn.execute(select(el).where(*where).order_by(el.c.nip)
                              .offset(offset).limit(limit))
    return {"period": period, "unit": unit, "total": total, "offset": offset,
            "items": [shown(dict(r._mapping)) for r in rows]}


async def categories(conn: AsyncConnection, unit: str, period: str) -> dict[str, int]:
    """How many of a unit's employees fall in each category for ``period``."""
    el = eligibility
    rows = await conn.execute(select(el.c.category, func.count())
                              .where(el.c.unit == unit, el.c.period == period)
                              .group_by(el.c.category))
    return {row[0]: row[1] for row in rows}


async def of_unit(conn: AsyncConnection, period: str, unit: str) -> list[Row]:
    """A unit's eligibility rows for ``period``, by NIP."""
    el = eligibility
    rows = await conn.execute(select(el).where(el.c.period == period, el.c.unit == unit)
                              .order_by(el.c.nip))
    return [dict(r._mapping) for r in rows]
