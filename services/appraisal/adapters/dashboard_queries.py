"""Read queries the dashboard needs beyond the query API: periods, units, people."""

from typing import Any

from sqlalchemy import Integer, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters import tables as t

Row = dict[str, Any]


async def periods(conn: AsyncConnection) -> list[Row]:
    """Periods with any reported work, newest first, with their state."""
    m = t.employee_months
    rows = await conn.execute(select(m.c.period, func.count(), func.sum(m.c.activities))
                              .group_by(m.c.period).order_by(m.c.period.desc()))
    closed = set((await conn.execute(select(t.periods.c.period))).scalars())
    return [{"period": p, "employees": n, "activities": int(a or 0),
             "closed": p in closed} for p, n, a in rows]


async def units(conn: AsyncConnection) -> list[Row]:
    """Every unit with its head count and structural officials."""
    e = t.employees
    rows = await conn.execute(
        select(e.c.unit, func.count(), func.sum(func.cast(e.c.structural, Integer)))
        .group_by(e.c.unit).order_by(e.c.unit))
    return [{"unit": u, "employees": n, "structural": int(s or 0)} for u, n, s in rows]


async def people(conn: AsyncConnection, unit: str | None, structural: bool | None,
                 limit: int) -> list[Row]:
    """Employees (optionally of one unit, optionally only structural), by unit and name."""
    e = t.employees
    query = select(e.c.nip, e.c.name, e.c.unit, e.c.position, e.c.structural,
                   e.c.employment_type, e.c.job_class)
    if unit:
        query = query.where(e.c.unit == unit)
    if structural is not None:
        query = query.where(e.c.structural == structural)
    rows = await conn.execute(query.order_by(e.c.unit, e.c.structural.desc(), e.c.name)
                              .limit(limit))
    return [dict(r._mapping) for r in rows]
