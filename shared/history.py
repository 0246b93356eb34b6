"""Read-only access to an event store, for replays and auditors.

``EventHistory`` streams stored events in global position order, one keyset page at a
time (memory stays flat however long the history), optionally bounded by a position or by
the time the store recorded them. ``verify_chain`` walks the whole store, recomputes the
tamper-evident hash chain (``shared.chain``) and reports every event that was changed,
removed or inserted — it never stops at the first problem.

Only the store's ``events`` table is needed, described here minimally so that the shared
package does not depend on the intake service.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.chain import GENESIS_HASH, chain_hash
from shared.db import make_engine
from shared.envelope import EventEnvelope

PAGE = 5000

events = Table(
    "events", MetaData(),
    Column("position", BigInteger, primary_key=True),
    Column("event_id", Uuid, nullable=False),
    Column("stream_id", Text, nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("schema_version", SmallInteger, nullable=False),
    Column("subject_nip", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("correlation_id", Uuid, nullable=False),
    Column("causation_id", Uuid),
    Column("payload", JSON, nullable=False),
    Column("prev_hash", LargeBinary, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    UniqueConstraint("event_id", name="events_event_id_key"),
    UniqueConstraint("stream_id", "stream_version", name="events_stream_version_key"),
    Index("events_recorded_at", "recorded_at", postgresql_using="brin"),
)


@dataclass(frozen=True)
class StoredRow:
    """One stored event as it is in the store: its envelope (or why it has none) and hashes."""

    position: int
    event_id: UUID
    recorded_at: datetime
    envelope: EventEnvelope | None
    prev_hash: bytes
    hash: bytes
    error: str | None = None


def _utc(moment: datetime) -> datetime:
    """Stored times are UTC; a store that drops the offset (SQLite copies) gets it back."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def envelope_of(row: Any) -> EventEnvelope:
    return EventEnvelope(
        event_id=row["event_id"], event_type=row["event_type"],
        schema_version=row["schema_version"], stream_id=row["stream_id"],
        stream_version=row["stream_version"], position=row["position"],
        subject_nip=row["subject_nip"], occurred_at=_utc(row["occurred_at"]),
        recorded_at=_utc(row["recorded_at"]), actor=row["actor"], source=row["source"],
        correlation_id=row["correlation_id"], causation_id=row["causation_id"],
        payload=row["payload"],
    )


def _stored(row: Any) -> StoredRow:
    try:
        envelope, error = envelope_of(row), None
    except Exception as exc:
        envelope, error = None, f"{type(exc).__name__}: {exc}"
    return StoredRow(row["position"], row["event_id"], row["recorded_at"], envelope,
                     bytes(row["prev_hash"]), bytes(row["hash"]), error)


class EventHistory:
    """Read-only view of the event store at ``url``. Use as ``async with EventHistory(url)``."""

    def __init__(self, url: str | AsyncEngine, page: int = PAGE) -> None:
        self._own = isinstance(url, str)
        self.engine = make_engine(url, pool_size=2) if isinstance(url, str) else url
        self.page = page

    async def __aenter__(self) -> "EventHistory":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own:
            await self.engine.dispose()

    async def head(self) -> int:
        """The last position in the store (0 when empty)."""
        async with self.engine.connect() as conn:
            value = await conn.scalar(select(func.max(events.c.position)))
        return int(value or 0)

    async def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before ``moment`` (0 if none): "as of" a time."""
        async with self.engine.connect() as conn:
            value = await conn.scalar(select(func.max(events.c.position))
                                      .where(events.c.recorded_at <= moment))
        return int(value or 0)

    async def resolve(self, upto_position: int | None = None,
                      upto_recorded_at: datetime | None = None) -> int:
        """One position bound from a position and/or a timestamp bound (the stricter wins)."""
        bound = await self.head()
        if upto_position is not None:
            bound = min(bound, upto_position)
        if upto_recorded_at is not None:
            bound = min(bound, await self.position_at(upto_recorded_at))
        return bound

    async def rows(self, after: int = 0, upto: int | None = None) -> AsyncIterator[StoredRow]:
        """Stored rows with position in (after, upto], in order, a keyset page at a time."""
        while True:
            query = select(events).where(events.c.position > after)
            if upto is not None:
                query = query.where(events.c.position <= upto)
            async with self.engine.connect() as conn:
                page = (await conn.execute(query.order_by(events.c.position)
                                           .limit(self.page))).mappings().all()
            for row in page:
                yield _stored(row)
            if len(page) < self.page:
                return
            after = page[-1]["position"]

    async def stream(self, after: int = 0, upto_position: int | None = None,
                     upto_recorded_at: datetime | None = None) -> AsyncIterator[EventEnvelope]:
        """Envelopes in position order, up to a position and/or a recorded-at time."""
        upto = await self.resolve(upto_position, upto_recorded_at)
        async for row in self.rows(after, upto):
            if row.envelope is None:
                raise ValueError(f"event at position {row.position} is unreadable: {row.error}")
            yield row.envelope


# -- the hash chain -----------------------------------------------------------------------------

Kind = Literal["changed", "removed", "inserted"]
SHIFT_SEARCH = 256
"""How far a renumbering (after an insert or a delete) is searched for."""


@dataclass(frozen=True)
class Finding:
    kind: Kind
    position: int
    """Where, as stored now (for 'removed': the first missing position or the event after)."""
    event_id: UUID | None
    detail: str


@dataclass
class ChainReport:
    events: int = 0
    head_position: int = 0
    head_hash: str = GENESIS_HASH.hex()
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass
class _Seen:
    position: int
    event_id: UUID
    hash: bytes


def _hash_at(row: StoredRow, position: int) -> bytes | None:
    if row.envelope is None:
        return None
    envelope = row.envelope if position == row.position else row.envelope.model_copy(
        update={"position": position})
    return chain_hash(row.prev_hash, envelope)


def _content(row: StoredRow, shift: int) -> int | None:
    """The shift (stored position - hashed position) under which the row's hash is right,
    preferring the current one; None when no position makes it right (content changed)."""
    if _hash_at(row, row.position - shift) == row.hash:
        return shift
    if row.envelope is None:
        return None
    for distance in range(1, SHIFT_SEARCH + 1):
        for candidate in (shift + distance, shift - distance):
            original = row.position - candidate
            if original >= 1 and _hash_at(row, original) == row.hash:
                return candidate
    return None


async def verify_chain(history: EventHistory | str) -> ChainReport:
    """Walk the whole store and report every changed, removed or inserted event.

    How each tampering shows:
    - changed in place: the stored hash is not the hash of the row's content (the row is
      reported); changed and re-hashed: the next event's prev_hash no longer names it.
    - removed: a gap in positions, or (if later events were renumbered to close it) the
      next event's prev_hash names a hash that is nowhere and its content hashes only
      under its old, higher position.
    - inserted: the event after it still names the event before it as predecessor (and,
      when later events were renumbered, hashes only under its old, lower position).
    """
    if isinstance(history, str):
        async with EventHistory(history) as owned:
            return await verify_chain(owned)
    report = ChainReport()
    last: _Seen | None = None
    before_last: _Seen | None = None
    pending: Finding | None = None  # a broken link, classified once the next row is seen
    shift = 0
    async for row in history.rows():
        report.events += 1
        found: list[Finding] = []
        new_shift = _content(row, shift)
        if row.envelope is None:
            found.append(Finding("changed", row.position, row.event_id,
                                 f"stored event is unreadable ({row.error})"))
        elif new_shift is None:
            found.append(Finding("changed", row.position, row.event_id,
                                 "stored hash is not the hash of the event's content"))
        prev_position = last.position if last else 0
        prev_hash = last.hash if last else GENESIS_HASH
        gap = row.position - prev_position - 1
        if gap > 0:
            missing = (f"position {prev_position + 1}" if gap == 1
                       else f"positions {prev_position + 1}..{row.position - 1}")
            found.append(Finding("removed", prev_position + 1, None,
                                 f"{missing} missing; event {row.position} names a "
                                 f"predecessor hash {row.prev_hash.hex()[:16]}… not in the store"))
        elif row.prev_hash != prev_hash:
            if last and before_last and row.prev_hash == before_last.hash:
                pending = None  # the broken link at `last` was the insertion itself
                found.append(Finding("inserted", last.position, last.event_id,
                                     f"event {row.position} names event {before_last.position} "
                                     f"as its predecessor, not this one"))
            elif new_shift is not None and new_shift < shift:
                count = shift - new_shift
                found.append(Finding("removed", row.position, None,
                                     f"{count} event(s) missing before event {row.position} "
                                     f"(later events renumbered by -{count})"))
            elif new_shift is not None and new_shift > shift and last is not None:
                found.append(Finding("inserted", last.position, last.event_id,
                                     "event after it names another predecessor; later events "
                                     f"renumbered by +{new_shift - shift}"))
            elif last is not None:
                if pending is not None:
                    found.append(pending)
                pending = Finding("changed", last.position, last.event_id,
                                  f"event {row.position} names predecessor hash "
                                  f"{row.prev_hash.hex()[:16]}…, but this event's hash is "
                                  f"{last.hash.hex()[:16]}… (changed and re-hashed)")
            else:
                found.append(Finding("removed", 1, None,
                                     f"first event {row.position} does not start from genesis"))
        if pending is not None and (row.prev_hash == prev_hash or gap > 0):
            found.insert(0, pending)
            pending = None
        if new_shift is not None:
            shift = new_shift
        report.findings.extend(found)
        before_last, last = last, _Seen(row.position, row.event_id, row.hash)
    if pending is not None:
        report.findings.append(pending)
    if last is not None:
        report.head_position, report.head_hash = last.position, last.hash.hex()
    report.findings.sort(key=lambda f: f.position)
    return report
