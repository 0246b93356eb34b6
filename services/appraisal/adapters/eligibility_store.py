"""Recomputes the eligibility rows a batch affected, inside the batch's transaction."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters import tables as t
from services.appraisal.adapters.rows import rows_where, upsert
from services.appraisal.domain.eligibility import Inputs, compute_rows
from services.appraisal.domain.projector import Sweep, Workset

Key = tuple[str, str]


async def recompute_eligibility(conn: AsyncConnection, ws: Workset) -> None:
    """Rows for every (nip, period) the batch touched or a sweep covers, from the figures
    as they stand after the batch (already flushed)."""
    keys = set(ws.touched)
    for sweep in ws.sweeps:
        keys |= await (_closing_keys(conn, ws, sweep) if sweep.closing
                       else _policy_keys(conn, sweep))
    if keys:
        inputs = await _inputs(conn, keys)
        await upsert(conn, t.eligibility, compute_rows(inputs, sorted(keys)))


async def _closing_keys(conn: AsyncConnection, ws: Workset, sweep: Sweep) -> set[Key]:
    """Every employee of the partition on the roster when the period closed."""
    on_roster = set(ws.known_before) | set(ws.registered[:sweep.registered_before])
    joined_later = set(ws.registered[sweep.registered_before:]) - on_roster
    nips = (await conn.execute(select(t.employees.c.nip)
                               .where(t.employees.c.partition == sweep.partition))).scalars()
    return {(nip, sweep.period) for nip in nips if nip not in joined_later}


async def _policy_keys(conn: AsyncConnection, sweep: Sweep) -> set[Key]:
    """Every employee-month of the partition with figures or a row, from the policy on;
    closed periods keep what they had."""
    closed = set((await conn.execute(select(t.periods.c.period))).scalars())
    keys: set[Key] = set()
    for table in (t.employee_months, t.eligibility):
        result = await conn.execute(
            select(table.c.nip, table.c.period)
            .join(t.employees, t.employees.c.nip == table.c.nip)
            .where(t.employees.c.partition == sweep.partition, table.c.period >= sweep.period))
        keys |= {(row.nip, row.period) for row in result if row.period not in closed}
    return keys


async def load_inputs(conn: AsyncConnection, keys: set[Key]) -> Inputs:
    """The projected figures of ``keys`` that eligibility (and its pace) is computed from."""
    return await _inputs(conn, keys)


async def _inputs(conn: AsyncConnection, keys: set[Key]) -> Inputs:
    nips = {nip for nip, _ in keys}
    month_cols = tuple_(t.employee_months.c.nip, t.employee_months.c.period)
    review_cols = tuple_(t.behaviour_reviews.c.ratee_nip, t.behaviour_reviews.c.period)
    reviews: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for row in await rows_where(conn, t.behaviour_reviews, review_cols, keys):
        reviews[(row["ratee_nip"], row["period"])].append(row)
    return Inputs(
        employees=_by(await rows_where(conn, t.employees, t.employees.c.nip, nips), "nip"),
        months={(r["nip"], r["period"]): r
                for r in await rows_where(conn, t.employee_months, month_cols, keys)},
        reviews=reviews,
        policies=[dict(r._mapping) for r in await conn.execute(select(t.policies))],
        closed={row.period: row.position
                for row in await conn.execute(select(t.periods.c.period, t.periods.c.position))},
    )


def _by(rows: Iterable[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}
