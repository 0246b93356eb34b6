"""Activities and their history: each activity's validation status, its revisions, and
``not_validated`` for those still waiting when their period closed. The superior's pending
queue is a query over this table (index ``activities_pending``)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.projections.base import Batch, Projection, Row
from services.appraisal.projections.employees import employees
from services.appraisal.projections.reporting_lines import Lines, ReportingLines
from shared.envelope import EventHeader
from shared.events import (
    ActivityReported,
    ActivityRevised,
    Event,
    PeriodClosed,
    ReviewSubmitted,
    ValidationReview,
)
from shared.periods import period_of

metadata = MetaData()

activities = Table(
    "activities", metadata,
    Column("activity_id", Text, primary_key=True),
    Column("nip", Text, nullable=False),
    Column("superior_nip", Text),
    Column("work_date", Date, nullable=False),
    Column("period", Text, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("external_ref", Text),
    Column("status", Text, nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", Text),
    Column("decided_at", DateTime(timezone=True)),
    # the head whose place an acting superior (Plt / Plh) took when deciding, else NULL
    Column("acting_for", Text),
    Column("note", Text),
    Column("position", BigInteger, nullable=False),
    Index("activities_pending", "superior_nip", "status"),
    Index("activities_owner", "nip", "period"),
)

activity_history = Table(
    "activity_history", metadata,
    Column("activity_id", Text, primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("status", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
)

OPEN_STATUSES = ("pending", "revision_requested")
"""Waiting for the superior (or, sent back, for the owner): at the period's close such an
activity becomes ``not_validated`` (not validated in time) and leaves the queue."""

Move = tuple[str, str, str, int, int]
"""(nip, period, status, minutes, activities): minutes joining (+) or leaving (-) a status
of an employee-month; the employee months projection adds them up."""


@dataclass
class ActivityRows:
    lines: Lines
    rows: dict[str, Row] = field(default_factory=dict)
    partition_of: dict[str, int] = field(default_factory=dict)
    """Activity id -> the partition its events arrive on (a close covers its own)."""
    changed: set[str] = field(default_factory=set)
    history: list[Row] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    """Every change of where an activity's minutes count, in event order."""

    def enter(self, row: Row) -> None:
        self.moves.append((row["nip"], row["period"], row["status"], row["minutes"], 1))

    def leave(self, row: Row) -> None:
        self.moves.append((row["nip"], row["period"], row["status"], -row["minutes"], -1))

    def record(self, key: str, envelope: EventHeader, status: str, note: str | None) -> None:
        self.changed.add(key)
        self.history.append({"activity_id": key, "position": envelope.position,
                             "status": status, "actor": envelope.actor,
                             "at": envelope.occurred_at, "note": note})


class Activities(Projection[ActivityRows]):
    tables = (activities, activity_history)
    events = frozenset({ActivityReported, ActivityRevised, ReviewSubmitted, PeriodClosed})

    def start(self, batch: Batch) -> ActivityRows:
        return ActivityRows(batch.working(ReportingLines))

    async def load(self, conn: AsyncConnection, working: ActivityRows, batch: Batch) -> None:
        decided = {str(e.review.activity_id) for _, e, _ in batch.events
                   if isinstance(e, ReviewSubmitted) and isinstance(e.review, ValidationReview)}
        revised = {str(e.activity_id) for _, e, _ in batch.events
                   if isinstance(e, ActivityRevised)}
        for row in await rows_where(conn, activities, activities.c.activity_id,
                                    decided | revised):
            working.rows[row["activity_id"]] = row
        closes = {(e.period, p) for _, e, p in batch.events if isinstance(e, PeriodClosed)}
        for period, partition in sorted(closes):
            for row in await _waiting(conn, period, partition):
                working.rows.setdefault(row["activity_id"], row)
                working.partition_of[row["activity_id"]] = partition

    def apply(self, working: ActivityRows, envelope: EventHeader, event: Event,
              partition: int) -> None:
        match event:
            case ActivityReported():
                _reported(working, envelope, event)
                working.partition_of[str(event.activity_id)] = partition
            case ActivityRevised():
                _revised(working, envelope, event)
                working.partition_of[str(event.activity_id)] = partition
            case ReviewSubmitted(review=ValidationReview() as review):
                _validated(working, envelope, review)
                working.partition_of[str(review.activity_id)] = partition
            case PeriodClosed():
                _close(working, envelope, event.period, partition)

    def rows(self, working: ActivityRows) -> Iterable[tuple[Table, list[Row]]]:
        return [(activities, [working.rows[key] for key in working.changed]),
                (activity_history, working.history)]


def _reported(working: ActivityRows, envelope: EventHeader, event: ActivityReported) -> None:
    key = str(event.activity_id)
    row = working.rows[key] = {
        "activity_id": key, "nip": event.nip,
        "superior_nip": working.lines.superior_on(event.nip, event.work_date),
        "work_date": event.work_date, "period": period_of(event.work_date),
        "minutes": event.minutes, "description": event.description, "source": event.source,
        "external_ref": event.external_ref, "status": "pending",
        "reported_at": envelope.occurred_at, "decided_by": None, "decided_at": None,
        "acting_for": None, "note": None, "position": envelope.position,
    }
    working.enter(row)
    working.record(key, envelope, "pending", None)


def _validated(working: ActivityRows, envelope: EventHeader, review: ValidationReview) -> None:
    key = str(review.activity_id)
    row = working.rows.get(key)
    if row is None:  # intake checked it exists; only a truncated history gets here
        return
    working.leave(row)
    row.update(status=review.decision, decided_by=review.reviewer_nip,
               decided_at=envelope.occurred_at, acting_for=review.acting_for, note=review.note,
               position=envelope.position)
    working.enter(row)
    working.record(key, envelope, review.decision, review.note)


def _revised(working: ActivityRows, envelope: EventHeader, event: ActivityRevised) -> None:
    """Back to pending with the amended content, in the amended day's month; the superior
    is the one on the amended day."""
    key = str(event.activity_id)
    row = working.rows.get(key)
    if row is None:  # intake checked it exists; only a truncated history gets here
        return
    working.leave(row)
    row.update(superior_nip=working.lines.superior_on(event.nip, event.work_date),
               work_date=event.work_date, period=period_of(event.work_date),
               minutes=event.minutes, description=event.description, status="pending",
               decided_by=None, decided_at=None, acting_for=None, note=None,
               position=envelope.position)
    working.enter(row)
    working.record(key, envelope, "pending", None)


def _close(working: ActivityRows, envelope: EventHeader, period: str, partition: int) -> None:
    """Activities of the partition still waiting at the close were not validated in time.
    ``load`` brought in every such activity of the period stored before the batch; those
    reported or decided earlier in the batch are in the working set as they stand now."""
    for key, row in working.rows.items():
        if (row["period"] == period and row["status"] in OPEN_STATUSES
                and working.partition_of.get(key) == partition):
            working.leave(row)
            row.update(status="not_validated", position=envelope.position)
            working.enter(row)
            working.record(key, envelope, "not_validated", None)


async def _waiting(conn: AsyncConnection, period: str, partition: int) -> list[Row]:
    """Stored activities of ``period`` still waiting for a decision, of the partition's
    employees (a close arrives on every partition and covers that partition's keys)."""
    a, e = activities, employees
    result = await conn.execute(
        select(a).select_from(a.join(e, e.c.nip == a.c.nip))
        .where(a.c.period == period, a.c.status.in_(OPEN_STATUSES), e.c.partition == partition))
    return [dict(row._mapping) for row in result]


# -- queries ------------------------------------------------------------------------------------

async def activity(conn: AsyncConnection, activity_id: str) -> Row | None:
    """An activity with its history, oldest first."""
    row = (await conn.execute(select(activities)
                              .where(activities.c.activity_id == activity_id))).first()
    if row is None:
        return None
    history = await conn.execute(select(activity_history)
                                 .where(activity_history.c.activity_id == activity_id)
                                 .order_by(activity_history.c.position))
    return {**row._mapping, "history": [dict(h._mapping) for h in history]}


async def pending_queue(conn: AsyncConnection, superior_nip: str, limit: int) -> list[Row]:
    """A superior's activities waiting for validation, oldest first, with their age."""
    a = activities
    rows = await conn.execute(
        select(a.c.activity_id, a.c.nip, a.c.work_date, a.c.minutes, a.c.description,
               a.c.source, a.c.reported_at)
        .where(a.c.superior_nip == superior_nip, a.c.status == "pending")
        .order_by(a.c.reported_at).limit(limit))
    now = datetime.now(UTC)  # reported_at is intake's wall-clock stamp: age on the same clock
    return [{**r._mapping, "age_hours": round((now - _aware(r.reported_at)).total_seconds()
                                              / 3600, 1)} for r in rows]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
