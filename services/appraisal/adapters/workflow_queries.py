"""Read queries of the daily workflow: the policy in force for a period, an employee with
their reporting line as of a date, and the running month's pace on eligibility rows."""

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters import queries
from services.appraisal.adapters import tables as t
from services.appraisal.adapters.eligibility_store import load_inputs
from services.appraisal.domain.eligibility import Inputs, parsed_policy
from services.appraisal.domain.pace import pace_of
from services.appraisal.domain.projector import period_of

Row = dict[str, Any]


async def policy_in_force(conn: AsyncConnection, period: str, today: date) -> Row | None:
    """The policy governing ``period`` (the one eligibility is computed with), and whether
    the period is closed: by a recorded close, or because its close day has come."""
    policies = [dict(r._mapping) for r in await conn.execute(select(t.policies))]
    closed = {r.period: r.position for r in await conn.execute(select(t.periods))}
    row = Inputs({}, {}, {}, policies, closed).policy_row_for(period)
    if row is None:
        return None
    close_date = parsed_policy(row["version"], row["document"]).close_date(period)
    recorded = period in closed
    return {"period": period, "version": row["version"], "effective_from": row["effective_from"],
            "closed": recorded or today >= close_date, "close_recorded": recorded,
            "close_date": close_date, "document": row["document"]}


async def employee_as_of(conn: AsyncConnection, nip: str, day: date) -> Row | None:
    """An employee's roster entry and the reporting line in force on ``day``."""
    person = await queries.employee(conn, nip)
    if person is None:
        return None
    person.pop("partition", None)
    lines = t.reporting_lines
    line = (await conn.execute(
        select(lines).where(lines.c.nip == nip, lines.c.effective_from <= day)
        .order_by(lines.c.effective_from.desc()).limit(1))).first()
    reporting_line = None
    if line is not None:
        superior = await queries.employee(conn, line.superior_nip) if line.superior_nip else None
        reporting_line = {"superior_nip": line.superior_nip, "since": line.effective_from,
                          **{f"superior_{k}": superior[k] if superior else None
                             for k in ("name", "position", "unit")}}
    return {**person, "as_of": day, "reporting_line": reporting_line}


async def with_pace(conn: AsyncConnection, rows: list[Row], today: date) -> list[Row]:
    """Eligibility rows with a ``pace`` field: the running month's pace for rows of today's
    (open) period, None for any other. Computed now, from the stored figures."""
    current = {(r["nip"], r["period"]) for r in rows if r["period"] == period_of(today)}
    inputs = await load_inputs(conn, current) if current else None
    paced = []
    for row in rows:
        pace = pace_of(inputs, row["nip"], row["period"], today) if inputs else None
        paced.append({**row, "pace": asdict(pace) if pace else None})
    return paced
