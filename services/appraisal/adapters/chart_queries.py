"""Aggregates the dashboard's charts draw, read straight from the projection tables (the
activities and eligibility projections; nothing is stored for the charts themselves)."""

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.projections.activities import activities
from services.appraisal.projections.eligibility import eligibility
from services.appraisal.projections.employees import employees
from services.appraisal.projections.transfers import unit_on_day

Query = TypeVar("Query", bound=Select[Any])


def _in_unit(query: Query, unit: str | None) -> Query:
    """Activities of ``unit`` on their work date (a transfer splits a month)."""
    if not unit:
        return query
    a = activities
    return query.join(employees, employees.c.nip == a.c.nip).where(
        unit_on_day(a.c.nip, a.c.work_date, employees.c.unit) == unit)


async def minutes_by_day(conn: AsyncConnection, period: str, unit: str | None) -> (
    list[tuple[date, str, int]]
):
    """(work date, status, minutes) of the period's activities, optionally of one unit."""
    a = activities
    query = _in_unit(select(a.c.work_date, a.c.status, func.sum(a.c.minutes))
                     .where(a.c.period == period), unit)
    rows = await conn.execute(query.group_by(a.c.work_date, a.c.status))
    return [(day, status, int(minutes)) for day, status, minutes in rows]


async def waiting_for_validation(conn: AsyncConnection, unit: str | None) -> (
    list[tuple[datetime, int]]
):
    """(reported at, minutes) of every activity waiting for its superior's decision."""
    a = activities
    query = _in_unit(select(a.c.reported_at, a.c.minutes).where(a.c.status == "pending"), unit)
    return [(at, minutes) for at, minutes in await conn.execute(query)]


async def categories_by_unit(conn: AsyncConnection, period: str) -> list[tuple[str, str, int]]:
    """(unit, category, employees) of the period's eligibility."""
    el = eligibility
    rows = await conn.execute(select(el.c.unit, el.c.category, func.count())
                              .where(el.c.period == period)
                              .group_by(el.c.unit, el.c.category).order_by(el.c.unit))
    return [(unit, category, n) for unit, category, n in rows]
