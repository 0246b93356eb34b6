"""The PostgreSQL event store: append-only, one global gap-free order, hash-chained.

Appends are serialised with a transaction-scoped advisory lock taken when a unit of work
begins. Positions are therefore assigned and committed strictly in order, so a reader
that tails ``position > last_seen`` can never skip an event that commits late (the
out-of-order sequence trap). The lock also gives every check a consistent view.
"""

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.tables import events
from services.intake.service_layer.ports import ConcurrencyConflict
from shared.chain import GENESIS_HASH, chain_hash_of
from shared.db import copy_rows
from shared.envelope import EventEnvelope

APPEND_LOCK = 0x45524B  # "ERK": the advisory lock key that serialises appends
NOTIFY_CHANNEL = "erk_events"


async def lock_for_append(conn: AsyncConnection) -> None:
    """Serialise writers until this transaction ends (commit or rollback)."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})


async def append(conn: AsyncConnection, batch: Sequence[EventEnvelope]) -> list[EventEnvelope]:
    """Append events (stream versions already set by the caller) after the current head.

    Must run inside a transaction that called :func:`lock_for_append`. Returns the stored
    envelopes with their positions and recorded-at time.
    """
    if not batch:
        return []
    head = (
        await conn.execute(select(events.c.position, events.c.hash).order_by(
            events.c.position.desc()).limit(1))
    ).first()
    stored, rows = _chained(batch, *((head.position, head.hash) if head else (0, GENESIS_HASH)))
    try:
        await _insert(conn, rows)
    except (IntegrityError, asyncpg.UniqueViolationError) as exc:
        raise ConcurrencyConflict(str(getattr(exc, "orig", exc))) from exc
    await conn.execute(text("SELECT pg_notify(:channel, :head)"),
                       {"channel": NOTIFY_CHANNEL, "head": str(stored[-1].position)})
    return stored


def _chained(batch: Sequence[EventEnvelope], position: int, prev_hash: bytes) -> (
    tuple[list[EventEnvelope], list[dict[str, Any]]]
):
    """The envelopes with their positions after ``position``, and their rows, each hashed
    onto the one before (``prev_hash``: the head's)."""
    recorded_at = datetime.now(UTC)
    stored, rows = [], []
    for envelope in batch:
        position += 1
        event = envelope.model_copy(update={
            "position": position,
            "recorded_at": recorded_at,
            # stored as timestamptz, read back in UTC: hash the form that reads back
            "occurred_at": envelope.occurred_at.astimezone(UTC),
        })
        document = event.model_dump(mode="json")
        digest = chain_hash_of(prev_hash, document)
        rows.append(_row(event, document["payload"], prev_hash, digest))
        stored.append(event)
        prev_hash = digest
    return stored, rows


async def head_position(conn: AsyncConnection) -> int:
    """The position of the last committed event (0: the store is empty)."""
    return int(await conn.scalar(text("SELECT coalesce(max(position), 0) FROM events")) or 0)


async def positions_of(conn: AsyncConnection, event_ids: Sequence[str]) -> dict[str, int]:
    """The store positions of the events with these ids (the ids found), by id."""
    if not event_ids:
        return {}
    rows = await conn.execute(select(events.c.event_id, events.c.position)
                              .where(events.c.event_id.in_(list(event_ids))))
    return {str(event_id): int(position) for event_id, position in rows}


async def read_after(
    conn: AsyncConnection, position: int, limit: int
) -> list[EventEnvelope]:
    """Up to ``limit`` events after ``position``, in order."""
    result = await conn.execute(
        select(events).where(events.c.position > position).order_by(events.c.position).limit(limit)
    )
    return [to_envelope(row._mapping) for row in result]


async def stream_all(
    conn: AsyncConnection, after: int = 0, page: int = 5000
) -> AsyncIterator[tuple[EventEnvelope, bytes, bytes]]:
    """Every stored event with its stored (prev_hash, hash), page by page, in order."""
    while True:
        result = await conn.execute(
            select(events).where(events.c.position > after).order_by(events.c.position).limit(page)
        )
        rows = result.all()
        for row in rows:
            yield to_envelope(row._mapping), row.prev_hash, row.hash
        if len(rows) < page:
            return
        after = rows[-1].position


def to_envelope(row: Any) -> EventEnvelope:
    """An envelope from a stored row, without validating it again: the store holds only
    envelopes that were validated on append (verify checks the chain if in doubt)."""
    return EventEnvelope.model_construct(
        **{name: row[name] for name in _ENVELOPE_FIELDS}, payload=row["payload"])


def _row(event: EventEnvelope, payload: dict[str, Any], prev_hash: bytes, digest: bytes) -> (
    dict[str, Any]
):
    return {**vars(event), "payload": payload, "prev_hash": prev_hash, "hash": digest}


_ENVELOPE_FIELDS = [name for name in EventEnvelope.model_fields if name != "payload"]
COPY_FROM = 50
"""Appends of at least this many events use COPY: a third of the cost of an INSERT."""
_COLUMNS = [column.name for column in events.columns]


async def _insert(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if len(rows) < COPY_FROM:
        await conn.execute(events.insert(), rows)
        return
    await copy_rows(conn, "events", _COLUMNS, (
        tuple(orjson.dumps(row[c]).decode() if c == "payload" else row[c] for c in _COLUMNS)
        for row in rows))
