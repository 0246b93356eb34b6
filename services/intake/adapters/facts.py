"""The fact reader on PostgreSQL: the write-model tables, through the unit's working set.

``prefetch`` loads what a whole group of commands will read in a handful of set-based
queries (one index probe per key, one SQL text whatever the number of keys); a single
command's facts are loaded one by one when first read, and kept for the unit.
"""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters import sql
from services.intake.adapters import tables as t
from services.intake.adapters.working_set import WorkingSet
from services.intake.domain.activity import Activity
from services.intake.domain.facts import EmployeeFacts
from services.intake.service_layer.ports import Wanted
from shared.db import any_of
from shared.policy import Policy, parsed_policy


class PostgresFacts:
    def __init__(self, conn: AsyncConnection, working: WorkingSet) -> None:
        self._conn = conn
        self._ws = working

    async def prefetch(self, wanted: Wanted) -> None:
        await self._load_activities({i for i in wanted.activity_ids
                                     if i not in self._ws.activities})
        await self._load_refs({r for r in wanted.refs if r not in self._ws.refs})
        await self._load_employees({n for n in wanted.nips if n not in self._ws.employees})
        await self._load_minutes({d for d in wanted.days if d not in self._ws.minutes})
        await self._load_closes({p for p in wanted.periods if p not in self._ws.closed})

    async def _load_activities(self, ids: set[uuid.UUID]) -> None:
        if not ids:
            return
        for found in await self._select_activities(any_of(t.activities.c.activity_id, ids)):
            self._ws.loaded(found)
        self._ws.activities.update({i: None for i in ids if i not in self._ws.activities})

    async def _load_refs(self, refs: set[tuple[str, str]]) -> None:
        if not refs:
            return
        sources, references = (list(column) for column in zip(*refs, strict=True))
        result = await self._conn.execute(sql.ACTIVITIES_BY_REF,
                                          {"sources": sources, "refs": references})
        for found in (Activity(*row) for row in result):
            self._ws.loaded(found)
        self._ws.refs.update({r: None for r in refs if r not in self._ws.refs})

    async def _load_employees(self, nips: set[str]) -> None:
        if not nips:
            return
        e = t.employees
        result = await self._conn.execute(
            select(e.c.nip, e.c.unit, e.c.structural).where(any_of(e.c.nip, nips)))
        for row in result:
            self._ws.employees[row.nip] = EmployeeFacts(row.nip, row.unit, row.structural)
        self._ws.employees.update({n: None for n in nips if n not in self._ws.employees})

    async def _load_minutes(self, days: set[tuple[str, date]]) -> None:
        if not days:
            return
        nips, dates = (list(column) for column in zip(*days, strict=True))
        result = await self._conn.execute(sql.DAY_MINUTES, {"nips": nips, "days": dates})
        found = {(row[0], row[1]): row[2] for row in result}
        for key in days:
            self._ws.loaded_minutes(key, found.get(key, 0))

    async def _load_closes(self, periods: set[str]) -> None:
        if not periods:
            return
        result = await self._conn.execute(
            select(t.periods.c.period).where(any_of(t.periods.c.period, periods)))
        recorded = set(result.scalars())
        self._ws.closed.update({p: p in recorded for p in periods})

    async def _select_activities(self, condition: Any) -> list[Activity]:
        result = await self._conn.execute(select(*sql.ACTIVITY_COLUMNS).where(condition))
        return [Activity(*row) for row in result]

    async def employee(self, nip: str) -> EmployeeFacts | None:
        if nip not in self._ws.employees:
            await self._load_employees({nip})
        return self._ws.employees[nip]

    async def employee_version(self, nip: str) -> int:
        version = await self._conn.scalar(
            select(t.employees.c.version).where(t.employees.c.nip == nip))
        return int(version or 0)

    async def superior_on(self, nip: str, day: date) -> str | None:
        lines = t.reporting_lines
        return await self._conn.scalar(
            select(lines.c.superior_nip)
            .where(and_(lines.c.nip == nip, lines.c.effective_from <= day))
            .order_by(lines.c.effective_from.desc()).limit(1))

    async def activity(self, activity_id: uuid.UUID) -> Activity | None:
        if activity_id not in self._ws.activities:
            rows = await self._select_activities(t.activities.c.activity_id == activity_id)
            self._ws.activities[activity_id] = None
            for found in rows:
                self._ws.loaded(found)
        return self._ws.activities[activity_id]

    async def activity_by_ref(self, source: str, external_ref: str) -> Activity | None:
        key = (source, external_ref)
        if key not in self._ws.refs:
            rows = await self._select_activities(and_(
                t.activities.c.source == source, t.activities.c.external_ref == external_ref))
            self._ws.refs[key] = None
            for found in rows:
                self._ws.loaded(found)
        return self._ws.by_ref(key)

    async def minutes_on(self, nip: str, day: date) -> int:
        key = (nip, day)
        if key not in self._ws.minutes:
            await self._load_minutes({key})
        return self._ws.minutes[key]

    async def close_recorded(self, period: str) -> bool:
        if period not in self._ws.closed:
            await self._load_closes({period})
        return self._ws.closed[period]

    async def recorded_closes(self) -> set[str]:
        return set((await self._conn.execute(select(t.periods.c.period))).scalars())

    async def policies(self) -> list[Policy]:
        if self._ws.policies is None:
            p = t.policies
            rows = await self._conn.execute(
                select(p.c.version, p.c.document).order_by(p.c.stream_version))
            self._ws.policies = [parsed_policy(row.version, row.document) for row in rows]
        return self._ws.policies

    async def policy_document(self, version: str) -> dict[str, Any] | None:
        document = await self._conn.scalar(
            select(t.policies.c.document).where(t.policies.c.version == version))
        return dict(document) if document is not None else None

    async def policy_stream_version(self) -> int:
        return int(await self._conn.scalar(
            select(func.coalesce(func.max(t.policies.c.stream_version), 0))) or 0)

    async def review_version(self, period: str, rater_nip: str, ratee_nip: str) -> int:
        b = t.behaviour_reviews
        version = await self._conn.scalar(select(b.c.version).where(and_(
            b.c.period == period, b.c.rater_nip == rater_nip, b.c.ratee_nip == ratee_nip)))
        return int(version or 0)
