"""The write model on PostgreSQL. Roster, reviews, closes and policies are written at once;
new activities and the day-minute changes wait in the working set and go in bulk (COPY, one
unnest upsert) when the unit commits. Every write updates the working set first, so the
unit's fact reader sees it."""

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters import sql
from services.intake.adapters import tables as t
from services.intake.adapters.working_set import WorkingSet
from services.intake.domain import commands as c
from services.intake.domain.activity import Activity
from services.intake.domain.attendance import AttendanceFacts, JustificationFacts
from services.intake.domain.erasure import ErasureFacts
from services.intake.domain.facts import ObjectionFacts
from shared.authority import ActingAppointment
from shared.db import copy_rows
from shared.policy import Policy

_MUTABLE = ("work_date", "minutes", "status", "version", "reported_work_date",
            "reported_minutes")
"""What a decision or a revision may change in an activity's row."""


class PostgresWriteModel:
    def __init__(self, conn: AsyncConnection, working: WorkingSet) -> None:
        self._conn = conn
        self._ws = working

    async def save_employee(self, employee: c.RegisterEmployee, version: int) -> None:
        # no name: intake's checks never read it, and personal data lives sealed in events
        await self._upsert(t.employees, {**employee.model_dump(exclude={"name"}),
                                         "version": version}, ["nip"])
        self._ws.employees.pop(employee.nip, None)

    async def set_employee_version(self, nip: str, version: int) -> None:
        await self._update(t.employees, {"nip": nip}, {"version": version})

    async def save_reporting_line(self, line: c.ChangeReportingLine) -> None:
        await self._upsert(t.reporting_lines, line.model_dump(), ["nip", "effective_from"])

    async def save_acting_appointment(self, appointment: ActingAppointment) -> None:
        await self._upsert(t.acting_appointments, asdict(appointment),
                           ["head_nip", "valid_from"])

    async def save_payment_version(self, period: str, unit: str, version: int) -> None:
        await self._upsert(t.payments, {"period": period, "unit": unit,
                                        "stream_version": version}, ["period", "unit"])

    def add_activity(self, activity: Activity) -> None:
        self._ws.new_activities[activity.activity_id] = activity
        self._ws.know(activity)

    async def save_activity(self, activity: Activity) -> None:
        self._ws.know(activity)
        if activity.activity_id in self._ws.new_activities:
            self._ws.new_activities[activity.activity_id] = activity
            return
        await self._update(t.activities, {"activity_id": activity.activity_id},
                           {name: getattr(activity, name) for name in _MUTABLE})

    def count_minutes(self, nip: str, day: date, change: int) -> None:
        self._ws.count_minutes((nip, day), change)

    async def save_review_version(self, period: str, rater_nip: str, ratee_nip: str,
                                  version: int) -> None:
        await self._upsert(t.behaviour_reviews, {
            "period": period, "rater_nip": rater_nip, "ratee_nip": ratee_nip,
            "version": version}, ["period", "rater_nip", "ratee_nip"])

    async def record_close(self, period: str, closed_at: datetime) -> None:
        await self._upsert(t.periods, {"period": period, "closed_at": closed_at}, ["period"])
        self._ws.closed[period] = True

    async def save_erasure(self, erasure: ErasureFacts) -> None:
        await self._upsert(t.erasure_requests, asdict(erasure), ["nip"])

    async def save_objection(self, objection: ObjectionFacts) -> None:
        await self._upsert(t.objections, asdict(objection), ["nip", "period"])

    async def save_policy(self, policy: Policy, document: dict[str, Any],
                          stream_version: int) -> None:
        await self._upsert(t.policies, {
            "version": policy.version, "document": document,
            "effective_from": policy.effective_from, "stream_version": stream_version},
            ["version"])
        self._ws.policies = None  # read again, with the new one, when next asked

    async def add_attendance(self, record: AttendanceFacts) -> None:
        await self._conn.execute(t.attendance_records.insert().values(**asdict(record)))

    async def save_justification(self, justification: JustificationFacts) -> None:
        await self._upsert(t.absence_justifications, asdict(justification),
                           ["justification_id"])

    async def flush(self) -> None:
        """What waited for the commit: day-minute changes, then the new activities."""
        changes = [(nip, day, change) for (nip, day), change
                   in self._ws.minute_changes.items() if change]
        if changes:
            nips, days, minutes = (list(column) for column in zip(*changes, strict=True))
            await self._conn.execute(sql.ADD_MINUTES,
                                     {"nips": nips, "days": days, "minutes": minutes})
        if self._ws.new_activities:
            rows = [sql.activity_values(a) for a in self._ws.new_activities.values()]
            await copy_rows(self._conn, "activities", sql.ACTIVITY_FIELDS, rows)

    async def _upsert(self, table: Table, values: dict[str, Any], keys: list[str]) -> None:
        statement = insert(table).values(**values)
        updates = {k: v for k, v in values.items() if k not in keys}
        await self._conn.execute(
            statement.on_conflict_do_update(index_elements=keys, set_=updates)
            if updates else statement.on_conflict_do_nothing())

    async def _update(self, table: Table, keys: dict[str, Any], values: dict[str, Any]) -> None:
        condition = and_(*(table.c[name] == value for name, value in keys.items()))
        await self._conn.execute(table.update().where(condition).values(**values))
