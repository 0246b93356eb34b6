"""The key store on PostgreSQL: a database of its own (``erk_keys``, its own role), apart from
the event store, so a copy of the event store or of a projection never carries the keys.

One row per subject: the data key wrapped by the master key, or, once destroyed, a
tombstone (``wrapped`` NULL, ``destroyed_at`` set) so the subject's key is never made again.
A destroyed key's old row version may stay in the table's free space until PostgreSQL reuses
it; it is wrapped, so it is worthless without the master key (docs/privacy.md, key lifecycle).
"""

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, DateTime, LargeBinary, MetaData, Table, Text, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_engine
from shared.keystore import (
    KeyStoreSettings,
    KeyWrapper,
    SubjectErased,
    load_master_key,
    new_data_key,
)
from shared.personal import Reveal, Revealer

MIGRATIONS = Path(__file__).resolve().parent / "keystore_migrations"
"""The key database's Alembic version folder (:func:`shared.db.migrate`)."""

metadata = MetaData()
subject_keys = Table(
    "subject_keys",
    metadata,
    Column("subject", Text, primary_key=True),
    Column("wrapped", LargeBinary),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("destroyed_at", DateTime(timezone=True)),
)


class PostgresKeyStore:
    def __init__(self, engine: AsyncEngine, wrapper: KeyWrapper) -> None:
        self._engine = engine
        self._wrapper = wrapper

    async def data_key_for(self, subject: str) -> bytes:
        found = await self._row(subject)
        if found is None:
            async with self._engine.begin() as conn:
                await conn.execute(insert(subject_keys).values(
                    subject=subject, wrapped=self._wrapper.wrap(new_data_key(), subject),
                    created_at=datetime.now(UTC)).on_conflict_do_nothing())
            found = await self._row(subject)
        assert found is not None  # inserted above, or by a concurrent writer
        if found[0] is None:
            raise SubjectErased(subject)
        return self._wrapper.unwrap(found[0], subject)

    async def key_of(self, subject: str) -> bytes | None:
        found = await self._row(subject)
        return None if found is None or found[0] is None else self._wrapper.unwrap(found[0],
                                                                                    subject)

    async def destroy(self, subject: str) -> bool:
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            await conn.execute(insert(subject_keys).values(
                subject=subject, wrapped=None, created_at=now, destroyed_at=now,
            ).on_conflict_do_nothing())
            result = await conn.execute(
                update(subject_keys).where(subject_keys.c.subject == subject,
                                           subject_keys.c.wrapped.is_not(None))
                .values(wrapped=None, destroyed_at=now))
        return bool(result.rowcount)

    async def is_erased(self, subject: str) -> bool:
        found = await self._row(subject)
        return found is not None and found[0] is None

    async def _row(self, subject: str) -> tuple[bytes | None] | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(subject_keys.c.wrapped)
                                      .where(subject_keys.c.subject == subject))).first()
        return None if row is None else (row.wrapped,)


def open_key_store(settings: KeyStoreSettings) -> tuple[PostgresKeyStore, AsyncEngine]:
    """The configured key store and its engine (the caller disposes of it)."""
    engine = make_engine(settings.database_url, pool_size=5)
    return PostgresKeyStore(engine, load_master_key(settings.master_key_file)), engine


@contextlib.asynccontextmanager
async def opened_with_keys(settings: KeyStoreSettings | None = None) -> AsyncIterator[Reveal]:
    """A :data:`Reveal` over the configured key store, for commands that hand out plaintext
    (payroll files); the key store's engine is closed on exit."""
    store, engine = open_key_store(settings or KeyStoreSettings())
    try:
        yield Revealer(store).reveal
    finally:
        await engine.dispose()
