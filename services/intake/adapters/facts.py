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
from services.intake.adapters.event_store import to_envelope
from services.intake.adapters.working_set import WorkingSet
from services.intake.domain.activity import Activity
from services.intake.domain.attendance import AttendanceFacts, JustificationFacts
from services.intake.domain.erasure import ErasureFacts
from services.intake.domain.facts import EmployeeFacts, ObjectionFacts
from services.intake.service_layer.ports import Wanted
from shared import history
from shared.authority import ActingAppointment
from shared.codec import decode_payload
from shared.db import any_of
from shared.events import Event
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

    async def acting_appointments(self, head_nip: str) -> list[ActingAppointment]:
        a = t.acting_appointments
        rows = await self._conn.execute(
            select(a.c.head_nip, a.c.acting_nip, a.c.kind, a.c.valid_from, a.c.valid_to)
            .where(a.c.head_nip == head_nip).order_by(a.c.valid_from))
        return [ActingAppointment(*row) for row in rows]

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

    async def payment_version(self, period: str, unit: str) -> int:
        p = t.payments
        version = await self._conn.scalar(select(p.c.stream_version).where(
            and_(p.c.period == period, p.c.unit == unit)))
        return int(version or 0)

    async def stream_events(self, stream_id: str) -> list[Event]:
        e = history.events
        rows = await self._conn.execute(select(e).where(e.c.stream_id == stream_id)
                                        .order_by(e.c.stream_version))
        return [decode_payload(to_envelope(row._mapping)) for row in rows]

    async def review_version(self, period: str, rater_nip: str, ratee_nip: str) -> int:
        b = t.behaviour_reviews
        version = await self._conn.scalar(select(b.c.version).where(and_(
            b.c.period == period, b.c.rater_nip == rater_nip, b.c.ratee_nip == ratee_nip)))
        return int(version or 0)

    async def erasure(self, nip: str) -> ErasureFacts | None:
        rows = await self._erasures(t.erasure_requests.c.nip == nip)
        return rows[0] if rows else None

    async def erasures_due(self, today: date) -> list[ErasureFacts]:
        e = t.erasure_requests
        return await self._erasures(and_(e.c.erased_on.is_(None), e.c.due_on <= today))

    async def _erasures(self, where: Any) -> list[ErasureFacts]:
        e = t.erasure_requests
        rows = await self._conn.execute(
            select(e.c.nip, e.c.reference, e.c.due_on, e.c.erased_on).where(where)
            .order_by(e.c.nip))
        return [ErasureFacts(*row) for row in rows]

    async def objection(self, nip: str, period: str) -> ObjectionFacts | None:
        o = t.objections
        row = (await self._conn.execute(
            select(o.c.nip, o.c.period, o.c.decider_nip, o.c.decided)
            .where(and_(o.c.nip == nip, o.c.period == period)))).first()
        return ObjectionFacts(*row) if row else None

    # attendance: read straight from the tables; the unit's writes go in at once, on the
    # same connection, so a later command of the unit sees them

    async def attendance_record(self, source: str, device_record_id: str) -> (
        AttendanceFacts | None
    ):
        a = t.attendance_records
        row = (await self._conn.execute(select(*_ATTENDANCE).where(
            a.c.source == source, a.c.device_record_id == device_record_id))).first()
        return AttendanceFacts(*row) if row else None

    async def attendance_on(self, nip: str, day: date) -> list[AttendanceFacts]:
        a = t.attendance_records
        rows = await self._conn.execute(select(*_ATTENDANCE).where(a.c.nip == nip,
                                                                    a.c.day == day))
        return [AttendanceFacts(*row) for row in rows]

    async def justification(self, justification_id: uuid.UUID) -> JustificationFacts | None:
        j = t.absence_justifications
        row = (await self._conn.execute(select(*_JUSTIFICATION).where(
            j.c.justification_id == justification_id))).first()
        return JustificationFacts(*row) if row else None

    async def justifications_of(self, nip: str, period: str) -> list[JustificationFacts]:
        j = t.absence_justifications
        first = date.fromisoformat(f"{period}-01")
        rows = await self._conn.execute(select(*_JUSTIFICATION).where(
            j.c.nip == nip, j.c.first_day >= first, j.c.first_day < _next_month(first)))
        return [JustificationFacts(*row) for row in rows]


_ATTENDANCE = [t.attendance_records.c[name] for name in (
    "source", "device_record_id", "nip", "day", "kind", "time", "reason", "event_id")]
_JUSTIFICATION = [t.absence_justifications.c[name] for name in (
    "justification_id", "nip", "first_day", "last_day", "reason", "evidence_ref", "status",
    "version", "event_id")]


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
