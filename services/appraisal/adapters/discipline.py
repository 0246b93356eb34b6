"""The discipline percentage of employee-months: the one place the payroll reads it (from
the ``discipline_months`` projection; an employee without attendance in the month has no
figure, and their payroll row says so and stays provisional)."""

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.projections.discipline import discipline_months


async def discipline_percentages(conn: AsyncConnection, period: str,
                                 nips: Iterable[str]) -> dict[str, Decimal]:
    """NIP -> the month's discipline percentage (0..100), for those that have one."""
    d = discipline_months
    rows = await conn.execute(select(d.c.nip, d.c.percentage)
                              .where(d.c.period == period, d.c.nip.in_(list(nips))))
    return {nip: Decimal(percentage) for nip, percentage in rows}
