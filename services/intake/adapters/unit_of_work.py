"""One serialised write transaction: read the facts, record events, update the write model.

Facts are cached for the life of the unit and can be prefetched for a whole batch of
commands in a few set-based queries; new activity rows and the events are written in bulk
when the unit commits. The caches are updated as commands record, so later commands in
the same unit see earlier ones (a repeated activity id, a day's running total).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from operator import attrgetter
from types import TracebackType
from typing import Any

from sqlalchemy import and_, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.intake.adapters import event_store, period_state
from services.intake.adapters import tables as t
from services.intake.domain import periods
from services.intake.domain.commands import DecideActivity, ReportActivity, ReviseActivity
from services.intake.domain.rules import ActivityFacts, EmployeeFacts, period_of
from shared.auth import Principal
from shared.db import any_of, copy_rows
from shared.envelope import EventEnvelope
from shared.events import Event
from shared.policy import Policy


@dataclass
class Recorded:
    """An event waiting for its position; the position is set when the unit commits."""

    envelope: EventEnvelope
    position: int | None = None


@dataclass
class Context:
    """Who asked, and which request; copied into every envelope."""

    principal: Principal
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class ActivityRow:
    activity_id: uuid.UUID
    nip: str
    work_date: date
    minutes: int
    source: str
    external_ref: str | None
    status: str
    version: int
    event_id: uuid.UUID
    reported_work_date: date | None = None
    """As first reported, once a revision changed the activity (else None: unchanged)."""
    reported_minutes: int | None = None

    def facts(self) -> ActivityFacts:
        return ActivityFacts(str(self.activity_id), self.nip, self.work_date, self.source)

    def as_reported(self) -> tuple[date, int]:
        """(work_date, minutes) of the original report, which a retry repeats."""
        return (self.reported_work_date or self.work_date,
                self.reported_minutes if self.reported_minutes is not None else self.minutes)


class UnitOfWork:
    """``today``: the day the unit's commands are judged on; a period whose close day has
    come counts as closed from then on. None (tools that only record history) counts only
    recorded closes."""

    def __init__(self, engine: AsyncEngine, context: Context, today: date | None = None) -> None:
        self._engine = engine
        self.context = context
        self.today = today
        self.conn: AsyncConnection
        self._pending: list[Recorded] = []
        self._new_activities: dict[uuid.UUID, ActivityRow] = {}
        self._employees: dict[str, EmployeeFacts | None] = {}
        self._activities: dict[uuid.UUID, ActivityRow | None] = {}
        self._refs: dict[tuple[str, str], ActivityRow | None] = {}
        self._minutes: dict[tuple[str, date], int] = {}
        self._minute_changes: dict[tuple[str, date], int] = defaultdict(int)
        self._closed: dict[str, bool] = {}
        self._policies: list[tuple[str, int, str]] | None = None

    async def __aenter__(self) -> "UnitOfWork":
        self.conn = await self._engine.connect()
        await self.conn.begin()
        await event_store.lock_for_append(self.conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self._flush()
                await self.conn.commit()
            else:
                await self.conn.rollback()
        finally:
            await self.conn.close()

    async def _flush(self) -> None:
        await self._flush_minutes()
        if self._new_activities:
            rows = [_ACTIVITY_VALUES(row) for row in self._new_activities.values()]
            await copy_rows(self.conn, "activities", _ACTIVITY_FIELDS, rows)
        stored = await event_store.append(self.conn, [r.envelope for r in self._pending])
        for recorded, event in zip(self._pending, stored, strict=True):
            recorded.position = event.position

    def record(
        self, event: Event, stream_id: str, stream_version: int, subject_nip: str,
        occurred_at: datetime | None = None,
    ) -> Recorded:
        now = datetime.now(UTC)
        envelope = EventEnvelope(
            event_id=uuid.uuid4(),
            event_type=event.event_type,
            schema_version=event.schema_version,
            stream_id=stream_id,
            stream_version=stream_version,
            subject_nip=subject_nip,
            occurred_at=occurred_at or now,
            recorded_at=now,
            actor=self.context.principal.subject,
            source=self.context.principal.source,
            correlation_id=self.context.correlation_id,
            payload=event.model_dump(mode="json"),
        )
        recorded = Recorded(envelope)
        self._pending.append(recorded)
        return recorded

    # -- prefetch --------------------------------------------------------------------------

    async def prefetch(self, requests: Sequence[tuple[Principal, Sequence[Any]]]) -> None:
        """Load, in a handful of queries, the facts a group of activity reports needs."""
        await self._prefetch_decided(requests)
        reports = [(p, c) for p, commands in requests for c in commands
                   if isinstance(c, ReportActivity)]
        if len(reports) < 2:
            return
        ids = {c.activity_id for _, c in reports if c.activity_id not in self._activities}
        for row in await self._select_activities(any_of(t.activities.c.activity_id, ids)):
            self._activities[row.activity_id] = row
        self._activities.update({i: None for i in ids if i not in self._activities})
        refs = {(p.source, c.external_ref) for p, c in reports
                if c.external_ref and (p.source, c.external_ref) not in self._refs}
        if refs:
            sources, references = (list(column) for column in zip(*refs, strict=True))
            result = await self.conn.execute(_ACTIVITIES_BY_REF,
                                             {"sources": sources, "refs": references})
            for found in (ActivityRow(*row) for row in result):
                self._refs[(found.source, found.external_ref or "")] = found
            self._refs.update({r: None for r in refs if r not in self._refs})
        await self._prefetch_employees({c.nip for _, c in reports})
        await self._prefetch_minutes({(c.nip, c.work_date) for _, c in reports})
        for period in {period_of(c.work_date) for _, c in reports}:
            await self.is_closed(period)

    async def _prefetch_decided(self, requests: Sequence[tuple[Principal, Sequence[Any]]]) -> (
        None
    ):
        """The activities a group of decisions or revisions (a bulk decision) is about."""
        ids = {c.activity_id for _, commands in requests for c in commands
               if isinstance(c, DecideActivity | ReviseActivity)
               and c.activity_id not in self._activities}
        if len(ids) < 2:
            return
        for row in await self._select_activities(any_of(t.activities.c.activity_id, ids)):
            self._activities[row.activity_id] = row
        self._activities.update({i: None for i in ids if i not in self._activities})

    async def _prefetch_employees(self, nips: Iterable[str]) -> None:
        wanted = {nip for nip in nips if nip not in self._employees}
        if not wanted:
            return
        e = t.employees
        result = await self.conn.execute(
            select(e.c.nip, e.c.unit, e.c.structural).where(any_of(e.c.nip, wanted)))
        for row in result:
            self._employees[row.nip] = EmployeeFacts(row.nip, row.unit, row.structural)
        self._employees.update({n: None for n in wanted if n not in self._employees})

    async def _prefetch_minutes(self, days: set[tuple[str, date]]) -> None:
        wanted = {key for key in days if key not in self._minutes}
        if not wanted:
            return
        nips, dates = (list(column) for column in zip(*wanted, strict=True))
        result = await self.conn.execute(_DAY_MINUTES, {"nips": nips, "days": dates})
        found = {(row[0], row[1]): row[2] for row in result}
        # changes counted before the day was loaded are not in the table until the commit
        self._minutes.update({key: found.get(key, 0) + self._minute_changes.get(key, 0)
                              for key in wanted})

    async def _select_activities(self, condition: Any) -> list[ActivityRow]:
        result = await self.conn.execute(select(*_ACTIVITY_COLUMNS).where(condition))
        return [ActivityRow(*row) for row in result]

    # -- facts ---------------------------------------------------------------------------

    async def employee(self, nip: str) -> EmployeeFacts | None:
        await self._prefetch_employees([nip])
        return self._employees[nip]

    async def employee_version(self, nip: str) -> int:
        version = await self.conn.scalar(
            select(t.employees.c.version).where(t.employees.c.nip == nip))
        return int(version or 0)

    async def superior_on(self, nip: str, day: date) -> str | None:
        lines = t.reporting_lines
        return await self.conn.scalar(
            select(lines.c.superior_nip)
            .where(and_(lines.c.nip == nip, lines.c.effective_from <= day))
            .order_by(lines.c.effective_from.desc()).limit(1))

    async def superior_chain(self, nip: str, day: date, limit: int = 64) -> list[str]:
        chain: list[str] = []
        current = await self.superior_on(nip, day)
        while current is not None and current not in chain and len(chain) < limit:
            chain.append(current)
            current = await self.superior_on(current, day)
        return chain

    async def activity_row(self, activity_id: uuid.UUID) -> ActivityRow | None:
        if activity_id not in self._activities:
            rows = await self._select_activities(t.activities.c.activity_id == activity_id)
            self._activities[activity_id] = rows[0] if rows else None
        return self._activities[activity_id]

    async def activity_by_ref(self, source: str, external_ref: str) -> ActivityRow | None:
        key = (source, external_ref)
        if key not in self._refs:
            rows = await self._select_activities(and_(
                t.activities.c.source == source, t.activities.c.external_ref == external_ref))
            self._refs[key] = rows[0] if rows else None
        return self._refs[key]

    async def activity(self, activity_id: uuid.UUID) -> ActivityFacts | None:
        row = await self.activity_row(activity_id)
        return row.facts() if row else None

    async def minutes_on(self, nip: str, day: date) -> int:
        await self._prefetch_minutes({(nip, day)})
        return self._minutes[(nip, day)]

    async def is_closed(self, period: str) -> bool:
        """The period-state fact: its close is recorded, or its close day has come under
        the policy governing it (see ``domain.periods``)."""
        recorded = await self.close_recorded(period)
        if recorded or self.today is None:
            return recorded
        return periods.is_locked(recorded, await self.policy_for(period), period, self.today)

    async def close_recorded(self, period: str) -> bool:
        """Whether a PeriodClosed event for ``period`` is recorded."""
        if period not in self._closed:
            self._closed[period] = bool(await self.conn.scalar(
                select(func.count()).where(t.periods.c.period == period)))
        return self._closed[period]

    async def policy_for(self, period: str) -> Policy | None:
        if self._policies is None:
            p = t.policies
            result = await self.conn.execute(select(p.c.effective_from, p.c.stream_version,
                                                    p.c.version))
            self._policies = sorted((tuple(row) for row in result), reverse=True)
        for effective_from, _, version in self._policies:
            if effective_from <= period:
                return await self._policy(version)
        return None

    async def _policy(self, version: str) -> Policy:
        known = period_state.known_policy(version)
        if known is not None:
            return known
        document = await self.conn.scalar(
            select(t.policies.c.document).where(t.policies.c.version == version))
        return period_state.parsed_policy(version, dict(document or {}))

    async def policy_document(self, version: str) -> dict[str, Any] | None:
        document = await self.conn.scalar(
            select(t.policies.c.document).where(t.policies.c.version == version))
        return dict(document) if document is not None else None

    async def last_closed_period(self) -> str | None:
        """The latest closed period: by a recorded close, or by its close day."""
        recorded = await self.conn.scalar(select(func.max(t.periods.c.period)))
        closed = {str(recorded)} if recorded is not None else set()
        if self.today is None:
            return max(closed, default=None)
        return periods.last_locked(await period_state.policies_in_order(self.conn), closed,
                                   self.today)

    async def policy_stream_version(self) -> int:
        return int(await self.conn.scalar(
            select(func.coalesce(func.max(t.policies.c.stream_version), 0))) or 0)

    async def behaviour_review_version(self, period: str, rater: str, ratee: str) -> int:
        b = t.behaviour_reviews
        version = await self.conn.scalar(select(b.c.version).where(and_(
            b.c.period == period, b.c.rater_nip == rater, b.c.ratee_nip == ratee)))
        return int(version or 0)

    # -- write model -----------------------------------------------------------------------

    def add_activity(self, row: ActivityRow) -> None:
        """A new activity; inserted in bulk when the unit commits."""
        self._new_activities[row.activity_id] = row
        self._activities[row.activity_id] = row
        if row.external_ref is not None:
            self._refs[(row.source, row.external_ref)] = row
        self._count_minutes((row.nip, row.work_date), row.minutes)

    async def set_activity_status(self, row: ActivityRow, status: str, version: int) -> None:
        updated = replace(row, status=status, version=version)
        self._activities[row.activity_id] = updated
        was, now = row.status == "rejected", status == "rejected"
        # rejected minutes do not count towards the day's total
        self._count_minutes((row.nip, row.work_date),
                            (row.minutes if was else 0) - (row.minutes if now else 0))
        if row.activity_id in self._new_activities:
            self._new_activities[row.activity_id] = updated
            return
        await self.update(t.activities, {"activity_id": row.activity_id},
                          {"status": status, "version": version})

    async def revise_activity_row(self, row: ActivityRow, work_date: date, minutes: int,
                                  version: int) -> None:
        """The activity amended and pending again; its minutes move to the amended day."""
        reported_work_date, reported_minutes = row.as_reported()
        revised = replace(row, work_date=work_date, minutes=minutes, status="pending",
                          version=version, reported_work_date=reported_work_date,
                          reported_minutes=reported_minutes)
        self._activities[row.activity_id] = revised
        if row.status != "rejected":
            self._count_minutes((row.nip, row.work_date), -row.minutes)
        self._count_minutes((row.nip, work_date), minutes)
        if row.activity_id in self._new_activities:
            self._new_activities[row.activity_id] = revised
            return
        await self.update(t.activities, {"activity_id": row.activity_id},
                          {"work_date": work_date, "minutes": minutes, "status": "pending",
                           "version": version, "reported_work_date": reported_work_date,
                           "reported_minutes": reported_minutes})

    def _count_minutes(self, key: tuple[str, date], change: int) -> None:
        if change:
            self._minute_changes[key] += change
            if key in self._minutes:
                self._minutes[key] += change

    async def _flush_minutes(self) -> None:
        changes = [(nip, day, change) for (nip, day), change in self._minute_changes.items()
                   if change]
        if not changes:
            return
        nips, days, minutes = (list(column) for column in zip(*changes, strict=True))
        await self.conn.execute(_ADD_MINUTES, {"nips": nips, "days": days, "minutes": minutes})

    async def upsert(self, table: Any, values: dict[str, Any], keys: list[str]) -> None:
        statement = insert(table).values(**values)
        updates = {k: v for k, v in values.items() if k not in keys}
        await self.conn.execute(
            statement.on_conflict_do_update(index_elements=keys, set_=updates)
            if updates else statement.on_conflict_do_nothing())
        if table is t.employees:
            self._employees.pop(values["nip"], None)

    async def update(self, table: Any, keys: dict[str, Any], values: dict[str, Any]) -> None:
        condition = and_(*(table.c[name] == value for name, value in keys.items()))
        await self.conn.execute(table.update().where(condition).values(**values))

    async def close_period_row(self, period: str, closed_at: datetime) -> None:
        await self.upsert(t.periods, {"period": period, "closed_at": closed_at}, ["period"])
        self._closed[period] = True


_ACTIVITY_COLUMNS = [t.activities.c[name] for name in (
    "activity_id", "nip", "work_date", "minutes", "source", "external_ref", "status",
    "version", "event_id", "reported_work_date", "reported_minutes")]
_ACTIVITY_FIELDS = [f.name for f in fields(ActivityRow)]
_ACTIVITY_VALUES = attrgetter(*_ACTIVITY_FIELDS)  # a shallow astuple()

# One SQL text for any number of rows (unnest of arrays), so it is prepared once.
_ADD_MINUTES = text("""
    INSERT INTO day_minutes (nip, work_date, minutes)
    SELECT * FROM unnest(CAST(:nips AS text[]), CAST(:days AS date[]), CAST(:minutes AS int[]))
    ON CONFLICT (nip, work_date) DO UPDATE SET minutes = day_minutes.minutes + EXCLUDED.minutes
""")

# Key pairs are looked up by joining an unnest of arrays: one index probe per pair, whatever
# the planner guesses (`a = ANY(..) AND b = ANY(..)` was planned as a scan of every row of a
# busy source: seconds instead of milliseconds), and one SQL text for any number of pairs.
_ACTIVITIES_BY_REF = text(f"""
    SELECT {", ".join("a." + name for name in _ACTIVITY_FIELDS)}
    FROM unnest(CAST(:sources AS text[]), CAST(:refs AS text[])) AS k(source, external_ref)
    JOIN activities a ON a.source = k.source AND a.external_ref = k.external_ref
""")
_DAY_MINUTES = text("""
    SELECT d.nip, d.work_date, d.minutes
    FROM unnest(CAST(:nips AS text[]), CAST(:days AS date[])) AS k(nip, work_date)
    JOIN day_minutes d ON d.nip = k.nip AND d.work_date = k.work_date
""")
