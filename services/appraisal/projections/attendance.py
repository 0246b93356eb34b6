"""Attendance as the discipline computation reads it: one row per employee and day (first
check-in, last check-out, an absence and the reason its source knew) and every absence
justification with where it stands. ``discipline`` computes the months from these rows.

A day's row is a fold of its records that does not depend on their order: the earliest
check-in, the latest check-out; an absence's reason is the latest one recorded."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Boolean, Column, Date, Index, MetaData, Table, Text, and_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import (
    AbsenceJustificationDecided,
    AbsenceJustificationSubmitted,
    AttendanceRecorded,
    Event,
)

metadata = MetaData()

attendance_days = Table(
    "attendance_days", metadata,
    Column("nip", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("check_in", Text),
    Column("check_out", Text),
    Column("absent", Boolean, nullable=False),
    Column("absence_reason", Text),
)

absence_justifications = Table(
    "absence_justifications", metadata,
    Column("justification_id", Text, primary_key=True),
    Column("nip", Text, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence_ref", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("submitted_on", Date, nullable=False),
    Column("decided_by", Text),
    Column("acting_for", Text),
    Index("absence_justifications_nip_day", "nip", "first_day"),
)

Key = tuple[str, str]
"""(nip, period)."""


@dataclass
class Attendance:
    days: dict[tuple[str, date], Row] = field(default_factory=dict)
    justifications: dict[str, Row] = field(default_factory=dict)
    changed: set[Key] = field(default_factory=set)
    """Employee-months whose attendance changed in this batch (their discipline follows)."""


def period_of(day: date) -> str:
    return day.isoformat()[:7]


class AttendanceDays(Projection[Attendance]):
    tables = (attendance_days, absence_justifications)
    events = frozenset({AttendanceRecorded, AbsenceJustificationSubmitted,
                        AbsenceJustificationDecided})

    def start(self, batch: Batch) -> Attendance:
        return Attendance()

    async def load(self, conn: AsyncConnection, working: Attendance, batch: Batch) -> None:
        days = {(e.nip, e.day) for _, e, _ in batch.events if isinstance(e, AttendanceRecorded)}
        columns = tuple_(attendance_days.c.nip, attendance_days.c.day)
        for row in await rows_where(conn, attendance_days, columns, days):
            working.days[(row["nip"], row["day"])] = row
        decided = {str(e.justification_id) for _, e, _ in batch.events
                   if isinstance(e, AbsenceJustificationDecided)}
        for row in await rows_where(conn, absence_justifications,
                                    absence_justifications.c.justification_id, decided):
            working.justifications[row["justification_id"]] = row

    def apply(self, working: Attendance, envelope: EventHeader, event: Event,
              partition: int) -> None:
        match event:
            case AttendanceRecorded():
                _record(working, event)
            case AbsenceJustificationSubmitted():
                working.justifications[str(event.justification_id)] = {
                    "justification_id": str(event.justification_id), "nip": event.nip,
                    "first_day": event.first_day, "last_day": event.last_day,
                    "reason": event.reason, "evidence_ref": event.evidence_ref,
                    "status": "pending", "submitted_on": event.submitted_on,
                    "decided_by": None, "acting_for": None}
                working.changed.add((event.nip, period_of(event.first_day)))
            case AbsenceJustificationDecided():
                row = working.justifications.get(str(event.justification_id))
                if row is None:
                    return  # its submission was never applied (intake never decides one)
                row.update(status=event.decision, decided_by=event.decided_by,
                           acting_for=event.acting_for)
                working.changed.add((event.nip, period_of(row["first_day"])))

    def rows(self, working: Attendance) -> Iterable[tuple[Table, list[Row]]]:
        return [(attendance_days, list(working.days.values())),
                (absence_justifications, list(working.justifications.values()))]


def _record(working: Attendance, event: AttendanceRecorded) -> None:
    row = working.days.setdefault((event.nip, event.day), {
        "nip": event.nip, "day": event.day, "check_in": None, "check_out": None,
        "absent": False, "absence_reason": None})
    if event.kind == "check_in":
        row["check_in"] = min(filter(None, (row["check_in"], event.time)))
    elif event.kind == "check_out":
        row["check_out"] = max(filter(None, (row["check_out"], event.time)))
    else:
        row["absent"] = True
        row["absence_reason"] = event.reason or row["absence_reason"]
    working.changed.add((event.nip, period_of(event.day)))


# -- queries ------------------------------------------------------------------------------------

def _span(periods: Iterable[str]) -> tuple[date, date]:
    """From the first day of the earliest period to the last day of the latest."""
    ordered = sorted(periods)
    first = date.fromisoformat(f"{ordered[0]}-01")
    year, month = int(ordered[-1][:4]), int(ordered[-1][5:])
    after = date(year + month // 12, month % 12 + 1, 1)
    return first, date.fromordinal(after.toordinal() - 1)


async def days_of(conn: AsyncConnection, keys: set[Key]) -> dict[Key, list[Row]]:
    """The attendance days of the employee-months ``keys``."""
    return await _by_key(conn, attendance_days, attendance_days.c.day, keys)


async def justifications_of(conn: AsyncConnection, keys: set[Key]) -> dict[Key, list[Row]]:
    """The justifications of the employee-months ``keys`` (by their first day)."""
    return await _by_key(conn, absence_justifications, absence_justifications.c.first_day,
                         keys)


async def _by_key(conn: AsyncConnection, table: Table, day: Column[date],
                  keys: set[Key]) -> dict[Key, list[Row]]:
    found: dict[Key, list[Row]] = {key: [] for key in keys}
    if not keys:
        return found
    first, last = _span(period for _, period in keys)
    nips = sorted({nip for nip, _ in keys})
    rows = await conn.execute(select(table).where(and_(
        table.c.nip.in_(nips), day >= first, day <= last)))
    for row in rows:
        key = (row.nip, period_of(getattr(row, day.name)))
        if key in found:
            found[key].append(dict(row._mapping))
    return found


async def months_with_attendance(conn: AsyncConnection, nips: Iterable[str],
                                 since: str | None) -> set[Key]:
    """The employee-months (from the period ``since`` on) with attendance or
    justifications."""
    first = date.fromisoformat(f"{since}-01") if since else date.min
    keys: set[Key] = set()
    nips = sorted(set(nips))
    for table, day in ((attendance_days, attendance_days.c.day),
                       (absence_justifications, absence_justifications.c.first_day)):
        for start in range(0, len(nips), 1000):
            rows = await conn.execute(select(table.c.nip, day).distinct().where(
                table.c.nip.in_(nips[start:start + 1000]), day >= first))
            keys |= {(nip, period_of(found)) for nip, found in rows}
    return keys


async def justifications_page(conn: AsyncConnection, nip: str, period: str) -> list[Row]:
    """An employee's justifications of a month, by first day."""
    (found,) = (await justifications_of(conn, {(nip, period)})).values()
    return sorted(found, key=lambda row: (row["first_day"], row["justification_id"]))
