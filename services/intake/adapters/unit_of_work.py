"""One serialised write transaction: read the facts, record events, update the write model.

Events recorded in a unit of work are appended to the store in one statement when it
commits; the write-model rows change immediately, so later commands in the same unit
see earlier ones (a batch with a repeated activity id, a day's running total).
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.intake.adapters import event_store
from services.intake.adapters import tables as t
from shared.auth import Principal
from services.intake.domain.rules import ActivityFacts, EmployeeFacts
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


class UnitOfWork:
    def __init__(self, engine: AsyncEngine, context: Context) -> None:
        self._engine = engine
        self.context = context
        self._pending: list[Recorded] = []
        self.conn: AsyncConnection

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

    # -- facts ---------------------------------------------------------------------------

    async def employee(self, nip: str) -> EmployeeFacts | None:
        row = (await self.conn.execute(
            select(t.employees.c.nip, t.employees.c.unit, t.employees.c.structural)
            .where(t.employees.c.nip == nip))).first()
        return EmployeeFacts(row.nip, row.unit, row.structural) if row else None

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

    async def activity_row(self, activity_id: uuid.UUID) -> Any:
        return (await self.conn.execute(
            select(t.activities).where(t.activities.c.activity_id == activity_id))).first()

    async def activity_by_ref(self, source: str, external_ref: str) -> Any:
        return (await self.conn.execute(select(t.activities).where(and_(
            t.activities.c.source == source, t.activities.c.external_ref == external_ref)))).first()

    async def activity(self, activity_id: uuid.UUID) -> ActivityFacts | None:
        row = await self.activity_row(activity_id)
        if row is None:
            return None
        return ActivityFacts(str(row.activity_id), row.nip, row.work_date, row.source)

    async def minutes_on(self, nip: str, day: date) -> int:
        a = t.activities
        total = await self.conn.scalar(select(func.coalesce(func.sum(a.c.minutes), 0)).where(
            and_(a.c.nip == nip, a.c.work_date == day, a.c.status != "rejected")))
        return int(total or 0)

    async def is_closed(self, period: str) -> bool:
        return bool(await self.conn.scalar(
            select(func.count()).where(t.periods.c.period == period)))

    async def policy_for(self, period: str) -> Policy | None:
        p = t.policies
        document = await self.conn.scalar(
            select(p.c.document).where(p.c.effective_from <= period)
            .order_by(p.c.effective_from.desc(), p.c.stream_version.desc()).limit(1))
        return Policy.model_validate(document) if document is not None else None

    async def policy_stream_version(self) -> int:
        return int(await self.conn.scalar(
            select(func.coalesce(func.max(t.policies.c.stream_version), 0))) or 0)

    async def behaviour_review_version(self, period: str, rater: str, ratee: str) -> int:
        b = t.behaviour_reviews
        version = await self.conn.scalar(select(b.c.version).where(and_(
            b.c.period == period, b.c.rater_nip == rater, b.c.ratee_nip == ratee)))
        return int(version or 0)

    # -- write model -----------------------------------------------------------------------

    async def upsert(self, table: Any, values: dict[str, Any], keys: list[str]) -> None:
        statement = insert(table).values(**values)
        updates = {k: v for k, v in values.items() if k not in keys}
        await self.conn.execute(
            statement.on_conflict_do_update(index_elements=keys, set_=updates)
            if updates else statement.on_conflict_do_nothing())

    async def update(self, table: Any, keys: dict[str, Any], values: dict[str, Any]) -> None:
        condition = and_(*(table.c[name] == value for name, value in keys.items()))
        await self.conn.execute(table.update().where(condition).values(**values))
