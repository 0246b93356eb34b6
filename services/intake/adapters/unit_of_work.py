"""The unit of work on PostgreSQL: one transaction holding the append lock, a fact reader and
a write model sharing the unit's working set, and the recorded events appended on commit,
their personal fields sealed with their subject's key first (``shared.personal``), so the
hash chain covers the ciphertext."""

import contextlib
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.intake.adapters import event_store
from services.intake.adapters.facts import PostgresFacts
from services.intake.adapters.working_set import WorkingSet
from services.intake.adapters.write_model import PostgresWriteModel
from services.intake.service_layer.ports import Context
from services.intake.service_layer.recorder import Recorder
from shared.keystore import KeyStore
from shared.personal import seal_envelope


class PostgresUnitOfWork(Recorder):
    """Serialised with every other writer from ``__aenter__`` on (see ``event_store``)."""

    facts: PostgresFacts
    writes: PostgresWriteModel

    def __init__(self, engine: AsyncEngine, context: Context, keys: KeyStore) -> None:
        super().__init__(context)
        self._engine = engine
        self._keys = keys
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        conn = self._conn = await self._engine.connect()
        await conn.begin()
        await event_store.lock_for_append(conn)
        working = WorkingSet()
        self.facts = PostgresFacts(conn, working)
        self.writes = PostgresWriteModel(conn, working)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._conn is not None, "the unit was not entered"
        try:
            if exc_type is None:
                await self.writes.flush()
                sealed = [await seal_envelope(e, self._keys) for e in self.envelopes()]
                self.set_positions(await event_store.append(self._conn, sealed))
                await self._conn.commit()
            else:
                await self._conn.rollback()
        finally:
            await self._conn.close()


@contextlib.asynccontextmanager
async def committed_facts(engine: AsyncEngine) -> AsyncIterator[PostgresFacts]:
    """Facts as committed, outside any unit of work: no append lock is taken."""
    async with engine.connect() as conn:
        yield PostgresFacts(conn, WorkingSet())
