"""The roster as listed on a day: each employee under the unit they belong to that day (the
unit registered, or their latest transfer's effective by then), never the unit they were
first registered with once they moved."""

from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, Subquery, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.projections.employees import employees
from services.appraisal.projections.transfers import unit_on_day

Row = dict[str, Any]


def _on(day: date) -> Subquery:
    """The employees with ``unit`` as of ``day``."""
    e = employees
    return select(e.c.nip, e.c.name,
                  unit_on_day(e.c.nip, literal(day, Date), e.c.unit).label("unit"),
                  e.c.position, e.c.structural, e.c.employment_type,
                  e.c.job_class).subquery("roster_on_day")


async def units(conn: AsyncConnection, day: date) -> list[Row]:
    """Every unit with its head count and structural officials on ``day``."""
    r = _on(day)
    rows = await conn.execute(
        select(r.c.unit, func.count(), func.sum(func.cast(r.c.structural, Integer)))
        .group_by(r.c.unit).order_by(r.c.unit))
    return [{"unit": u, "employees": n, "structural": int(s or 0)} for u, n, s in rows]


async def people(conn: AsyncConnection, unit: str | None, structural: bool | None,
                 limit: int, day: date) -> list[Row]:
    """Employees on ``day`` (optionally of one unit, optionally only structural), by unit
    and name."""
    r = _on(day)
    query = select(r)
    if unit:
        query = query.where(r.c.unit == unit)
    if structural is not None:
        query = query.where(r.c.structural == structural)
    rows = await conn.execute(query.order_by(r.c.unit, r.c.structural.desc(), r.c.name)
                              .limit(limit))
    return [dict(row._mapping) for row in rows]
